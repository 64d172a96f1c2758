package io.submissionrouter.testing;

import io.smallrye.config.WithDefault;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Proxy;
import java.lang.reflect.Type;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A {@code @ConfigMapping} interface answered from its {@code @WithDefault} values, with some settings given (by
 * their path of method names, {@code limits.maxRecipients}): the router's settings for a test of a bean without
 * Quarkus. Unset optional settings are empty.
 */
public final class DefaultSettings {

    private DefaultSettings() {
    }

    public static <T> T of(Class<T> type, Map<String, Object> given) {
        return proxy(type, "", given);
    }

    private static <T> T proxy(Class<T> type, String prefix, Map<String, Object> given) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (self, method, args) -> {
            String path = prefix + method.getName();
            if (given.containsKey(path)) {
                return given.get(path);
            }
            Class<?> r = method.getReturnType();
            if (r.isInterface() && r.getPackageName().startsWith("io.submissionrouter")) {
                return proxy(r, path + ".", given);
            }
            WithDefault d = method.getAnnotation(WithDefault.class);
            if (d != null) {
                return convert(d.value(), method.getGenericReturnType());
            }
            if (r == Optional.class) {
                return Optional.empty();
            }
            if (r == Map.class) {
                return Map.of();
            }
            throw new IllegalStateException("no value for the setting " + path);
        }));
    }

    private static Object convert(String value, Type type) {
        if (type instanceof ParameterizedType p && p.getRawType() == List.class) {
            return Arrays.stream(value.split(",")).map(v -> convert(v.strip(), p.getActualTypeArguments()[0])).toList();
        }
        Class<?> c = (Class<?>) type;
        if (c == String.class) {
            return value;
        } else if (c == int.class || c == Integer.class) {
            return Integer.parseInt(value);
        } else if (c == long.class || c == Long.class) {
            return Long.parseLong(value);
        } else if (c == double.class || c == Double.class) {
            return Double.parseDouble(value);
        } else if (c == boolean.class || c == Boolean.class) {
            return Boolean.parseBoolean(value);
        } else if (c == Duration.class) {
            return duration(value);
        } else if (c.isEnum()) {
            return enumConstant(c, value);
        }
        throw new IllegalStateException("cannot convert " + value + " to " + type);
    }

    private static Duration duration(String value) {
        String unit = value.replaceAll("[0-9]", "");
        long n = Long.parseLong(value.substring(0, value.length() - unit.length()));
        return switch (unit) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            case "d" -> Duration.ofDays(n);
            default -> Duration.parse(value);
        };
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object enumConstant(Class<?> type, String value) {
        return Enum.valueOf((Class) type, value.toUpperCase(Locale.ROOT));
    }
}
