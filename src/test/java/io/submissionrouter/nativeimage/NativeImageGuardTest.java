package io.submissionrouter.nativeimage;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.submissionrouter.job.EmailJob;
import jakarta.inject.Named;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.camel.ExchangeProperty;
import org.junit.jupiter.api.Test;

/**
 * The guard of the native image (README, "Native"): everything the router and the libraries on its paths load at run
 * time by a name, a resource path or Jackson's reflection is registered for the image. What is needed is derived,
 * never listed here: from the router's bytecode ({@link BytecodeNeeds}: the types handed to Jackson, resources and
 * classes opened by a constant name), from the routes (beans called by name, exchange properties read through
 * simple's OGNL) and from the libraries themselves ({@link LibraryNeeds}). What is registered is what the project
 * registers: {@link NativeReflection} and {@code quarkus.native.resources.includes}.
 */
class NativeImageGuardTest {

    private static final Path CLASSES = Path.of("target/classes");
    private static final RegisterForReflection REGISTERED = NativeReflection.class
            .getAnnotation(RegisterForReflection.class);
    private static final Set<Class<?>> TARGETS = Set.of(REGISTERED.targets());
    private static final Set<String> REGISTERED_NAMES = Stream.concat(TARGETS.stream().map(Class::getName),
            Arrays.stream(REGISTERED.classNames())).collect(Collectors.toSet());

    /** Service providers the libraries declare that the image leaves out on purpose, each with the reason. */
    private static final Map<String, String> LEFT_OUT = Map.of(
            "org.xbill.DNS.spi.DnsjavaInetAddressResolverProvider",
            "dnsjava as the resolver of every host name (Kafka, SMTP): the router asks dnsjava only for its own MX "
                    + "and SRV lookups, and on Java 17 (the JVM image) this provider's interface does not exist",
            "org.xbill.DNS.spi.DNSJavaNameServiceDescriptor",
            "Java 8's name-service interface (sun.net.spi.nameservice), gone since Java 9");

    private static final BytecodeNeeds NEEDS = BytecodeNeeds.of(CLASSES);

    @Test
    void everyTypeJacksonBindsIsRegisteredWithTheTypesInside() throws ClassNotFoundException {
        Set<Class<?>> needed = new java.util.HashSet<>();
        for (String root : NEEDS.jacksonTypes()) {
            collect(Class.forName(root), needed);
        }
        assertThat(NEEDS.jacksonTypes()).contains(EmailJob.class.getName());
        assertThat(TARGETS).containsAll(needed);
    }

    /** The only names and types computed at run time are the self-check's, which tries what is registered here. */
    @Test
    void everyCallSiteTheGuardReadsSaysWhatItBinds() {
        assertThat(NEEDS.unreadable()).filteredOn(u -> !u.startsWith(StartupSelfCheck.class.getName() + "."))
                .isEmpty();
    }

    private static Properties application() throws IOException {
        Properties app = new Properties();
        try (InputStream in = Files.newInputStream(Path.of("src/main/resources/application.properties"))) {
            app.load(in);
        }
        return app;
    }

    @Test
    void everyResourceOpenedByNameIsIncluded() throws IOException {
        List<String> includes = Arrays.stream(application().getProperty("quarkus.native.resources.includes", "").split(","))
                .map(String::strip).filter(s -> !s.isEmpty()).toList();
        assertThat(NEEDS.resources()).isNotEmpty();
        for (String resource : NEEDS.resources()) {
            assertThat(includes).as("quarkus.native.resources.includes covers %s", resource).anySatisfy(glob ->
                    assertThat(FileSystems.getDefault().getPathMatcher("glob:" + glob).matches(Path.of(resource)))
                            .isTrue());
        }
    }

    @Test
    void everyClassTheRouterOrALibraryLoadsByNameIsRegistered() {
        List<LibraryNeeds.Library> libraries = LibraryNeeds.of(CLASSES);
        Set<String> needed = new TreeSet<>(NEEDS.classesByName());
        for (LibraryNeeds.Library library : libraries) {
            needed.addAll(library.classesByName());
            library.serviceProviders().keySet().stream().filter(p -> !LEFT_OUT.containsKey(p)).forEach(needed::add);
        }
        assertThat(libraries).filteredOn(LibraryNeeds.Library::read).extracting(LibraryNeeds.Library::coordinates)
                .contains("org.apache.commons:commons-pool2");
        assertThat(REGISTERED_NAMES).containsAll(needed);
    }

    /** Bundles are registered with the builder option {@code -H:IncludeResourceBundles} (Quarkus has no setting). */
    @Test
    void everyResourceBundleALibraryOpensIsRegisteredAsABundle() throws IOException {
        Set<String> bundles = new TreeSet<>();
        LibraryNeeds.of(CLASSES).forEach(l -> bundles.addAll(l.resourceBundles()));
        Set<String> registered = new TreeSet<>();
        for (String arg : application().getProperty("quarkus.native.additional-build-args", "").split(",")) {
            if (arg.strip().startsWith("-H:IncludeResourceBundles=")) {
                registered.addAll(List.of(arg.strip().substring("-H:IncludeResourceBundles=".length()).split(":")));
            }
        }
        assertThat(bundles).contains("jsv-messages");
        assertThat(registered).containsAll(bundles);
    }

    @Test
    void everyBeanARouteCallsByNameIsRegistered() throws IOException {
        Set<String> refs = inRoutes(Pattern.compile("^\\s*ref:\\s*(\\w+)\\s*$", Pattern.MULTILINE));
        Set<String> registered = TARGETS.stream().filter(c -> c.isAnnotationPresent(Named.class))
                .map(c -> c.getAnnotation(Named.class).value()).collect(Collectors.toCollection(TreeSet::new));
        assertThat(refs).isNotEmpty();
        assertThat(registered).containsAll(refs);
    }

    /**
     * {@code ${exchangeProperty.pass.next}} makes simple read {@code next} of the property's value by
     * reflection; the value's type is the one the beans bind that property to ({@code @ExchangeProperty}).
     */
    @Test
    void everyPropertyARouteReadsThroughOgnlIsRegistered() throws IOException {
        Set<String> read = inRoutes(Pattern.compile("\\$\\{exchangeProperty\\.(\\w+)\\.\\w+"));
        Map<String, Set<Class<?>>> bound = new HashMap<>();
        for (Class<?> bean : TARGETS) {
            for (Method m : bean.getDeclaredMethods()) {
                for (Parameter p : m.getParameters()) {
                    ExchangeProperty property = p.getAnnotation(ExchangeProperty.class);
                    if (property != null) {
                        bound.computeIfAbsent(property.value(), k -> new java.util.HashSet<>()).add(p.getType());
                    }
                }
            }
        }
        assertThat(read).isNotEmpty();
        for (String name : read) {
            assertThat(bound).as("a bean binds exchange property %s", name).containsKey(name);
            assertThat(TARGETS).containsAll(bound.get(name));
        }
    }

    @Test
    void theStartUpSelfCheckFindsEverythingOnTheJvm() {
        assertThat(StartupSelfCheck.missing(new ObjectMapper().findAndRegisterModules())).isEmpty();
    }

    /** What an image without the job's registration does to Jackson: no creator, no properties. */
    @Test
    void theStartUpSelfCheckNamesATypeJacksonCannotBind() {
        assertThat(StartupSelfCheck.missing(BlindMapper.blindTo(EmailJob.class)))
                .anySatisfy(m -> assertThat(m).startsWith("Jackson reading " + EmailJob.class.getName()))
                .anySatisfy(m -> assertThat(m).startsWith("Jackson writing " + EmailJob.class.getName()));
    }

    private static Set<String> inRoutes(Pattern pattern) throws IOException {
        Set<String> found = new TreeSet<>();
        try (Stream<Path> routes = Files.list(Path.of("routes"))) {
            for (Path file : routes.filter(p -> p.toString().endsWith(".yaml")).toList()) {
                Matcher m = pattern.matcher(Files.readString(file));
                while (m.find()) {
                    found.add(m.group(1));
                }
            }
        }
        return found;
    }

    /**
     * The type and the router's types inside it: record components and, of other classes, their fields, with their
     * type arguments, array elements and wildcard bounds.
     */
    private static void collect(Type type, Set<Class<?>> found) {
        if (type instanceof ParameterizedType p) {
            Arrays.stream(p.getActualTypeArguments()).forEach(t -> collect(t, found));
        } else if (type instanceof java.lang.reflect.WildcardType w) {
            Arrays.stream(w.getUpperBounds()).forEach(t -> collect(t, found));
        } else if (type instanceof java.lang.reflect.GenericArrayType a) {
            collect(a.getGenericComponentType(), found);
        } else if (type instanceof Class<?> c && c.isArray()) {
            collect(c.getComponentType(), found);
        } else if (type instanceof Class<?> c && c.getName().startsWith("io.submissionrouter.") && found.add(c)) {
            if (c.isRecord()) {
                for (RecordComponent rc : c.getRecordComponents()) {
                    collect(rc.getGenericType(), found);
                }
            } else if (!c.isEnum()) {
                for (java.lang.reflect.Field f : c.getDeclaredFields()) {
                    if (!java.lang.reflect.Modifier.isStatic(f.getModifiers())) {
                        collect(f.getGenericType(), found);
                    }
                }
            }
        }
    }
}
