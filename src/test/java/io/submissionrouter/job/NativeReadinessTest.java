package io.submissionrouter.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.runtime.annotations.RegisterForReflection;
import io.submissionrouter.idempotency.Completion;
import io.submissionrouter.ops.NativeReflection;
import io.submissionrouter.results.AttemptEvent;
import io.submissionrouter.results.DeliveryResult;
import io.submissionrouter.routing.DeferredState;
import jakarta.inject.Named;
import java.io.IOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What a native build needs is registered (README, "Native image"): every bean a route calls by name, and
 * every record Jackson writes to or reads from Kafka, with the records inside them.
 */
class NativeReadinessTest {

    private static final Set<Class<?>> REGISTERED =
            Set.of(NativeReflection.class.getAnnotation(RegisterForReflection.class).targets());

    @Test
    void everyBeanARouteCallsByNameIsRegisteredForReflection() throws IOException {
        Set<String> refs = new TreeSet<>();
        Pattern ref = Pattern.compile("^\\s*ref:\\s*(\\w+)\\s*$", Pattern.MULTILINE);
        try (Stream<Path> routes = Files.list(Path.of("routes"))) {
            for (Path file : routes.filter(p -> p.toString().endsWith(".yaml")).toList()) {
                Matcher m = ref.matcher(Files.readString(file));
                while (m.find()) {
                    refs.add(m.group(1));
                }
            }
        }
        Set<String> registered = REGISTERED.stream().filter(c -> c.isAnnotationPresent(Named.class))
                .map(c -> c.getAnnotation(Named.class).value()).collect(Collectors.toCollection(TreeSet::new));
        assertThat(refs).isNotEmpty();
        assertThat(registered).containsAll(refs);
    }

    @Test
    void everyRecordOnKafkaIsRegisteredWithTheRecordsInside() {
        Set<Class<?>> needed = new HashSet<>();
        for (Class<?> root : List.of(DeliveryResult.class, AttemptEvent.class, Completion.class, DeferredState.class,
                io.submissionrouter.control.ControlCommand.class)) {
            collect(root, needed);
        }
        assertThat(REGISTERED).containsAll(needed);
    }

    private static void collect(Type type, Set<Class<?>> found) {
        if (type instanceof ParameterizedType p) {
            Arrays.stream(p.getActualTypeArguments()).forEach(t -> collect(t, found));
        } else if (type instanceof Class<?> c && c.isRecord() && found.add(c)) {
            for (RecordComponent rc : c.getRecordComponents()) {
                collect(rc.getGenericType(), found);
            }
        }
    }
}
