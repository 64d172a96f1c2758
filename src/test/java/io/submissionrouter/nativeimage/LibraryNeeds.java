package io.submissionrouter.nativeimage;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.Type;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.FieldInsnNode;
import org.objectweb.asm.tree.FieldNode;
import org.objectweb.asm.tree.LdcInsnNode;
import org.objectweb.asm.tree.MethodInsnNode;
import org.objectweb.asm.tree.MethodNode;
import org.objectweb.asm.tree.TypeInsnNode;

/**
 * What the libraries the router calls load by name at run time, read from the libraries themselves. The libraries
 * are the jars holding a class the router's bytecode names. A library that ships its own native-image
 * configuration ({@code META-INF/native-image/}, as Angus Mail, Angus Activation and networknt do) has said what it
 * needs, and a library a Quarkus extension of this build prepares ({@link #PREPARED_BY_EXTENSIONS}) is that
 * extension's business. Of every other library this reads: the classes named by a string constant in its bytecode
 * when that bytecode loads classes by name (commons-pool2's default eviction policy is such a constant), and the
 * service providers it declares in {@code META-INF/services} (Quarkus builds with GraalVM's automatic service
 * registration off, so a provider no one registers is not found in the image).
 */
final class LibraryNeeds {

    /**
     * Group ids whose jars a Quarkus extension of this build registers for the image, each with that extension. A
     * library is named here only for this reason; everything else is read.
     */
    static final Map<String, String> PREPARED_BY_EXTENSIONS = Map.ofEntries(
            Map.entry("org.apache.kafka", "quarkus-kafka-client (serialisers, assignors, partitioners, SASL)"),
            Map.entry("com.fasterxml.jackson", "quarkus-jackson (the library; the router's own types are read here)"),
            Map.entry("org.apache.camel", "camel-quarkus-core (components, type converters, YAML routes)"),
            Map.entry("io.quarkus", "Quarkus itself"), Map.entry("io.smallrye", "Quarkus itself"),
            Map.entry("io.vertx", "Quarkus itself"), Map.entry("org.jboss", "Quarkus itself"),
            Map.entry("jakarta.ws.rs", "quarkus-rest"), Map.entry("jakarta.enterprise", "quarkus-arc"),
            Map.entry("jakarta.inject", "quarkus-arc"), Map.entry("jakarta.annotation", "quarkus-arc"),
            Map.entry("org.eclipse.microprofile", "Quarkus itself"), Map.entry("io.micrometer", "quarkus-micrometer"),
            Map.entry("io.opentelemetry", "quarkus-opentelemetry"),
            Map.entry("org.graalvm", "the image builder (provided scope)"),
            Map.entry("org.slf4j", "Quarkus itself (slf4j-jboss-logmanager binds the API)"));

    /** A library jar and what was found in it. */
    record Library(String coordinates, Path jar, boolean ownConfiguration, String preparedBy,
            Set<String> classesByName, Map<String, String> serviceProviders, Set<String> resourceBundles) {

        boolean read() {
            return !ownConfiguration && preparedBy == null;
        }
    }

    private LibraryNeeds() {
    }

    /** The libraries the classes under {@code classes} call, each read as above. */
    static List<Library> of(Path classes) {
        Set<Path> jars = new TreeSet<>();
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path file : files.filter(p -> p.toString().endsWith(".class")).toList()) {
                try (InputStream in = Files.newInputStream(file)) {
                    ClassNode c = new ClassNode();
                    new ClassReader(in).accept(c, ClassReader.SKIP_DEBUG);
                    referenced(c).forEach(name -> jarOf(name).ifPresent(jars::add));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return jars.stream().map(LibraryNeeds::read).toList();
    }

    private static Set<String> referenced(ClassNode c) {
        Set<String> names = new TreeSet<>();
        for (MethodNode m : c.methods) {
            for (AbstractInsnNode insn : m.instructions) {
                if (insn instanceof MethodInsnNode call) {
                    names.add(call.owner);
                } else if (insn instanceof FieldInsnNode field) {
                    names.add(field.owner);
                } else if (insn instanceof TypeInsnNode type) {
                    names.add(type.desc);
                } else if (insn instanceof LdcInsnNode ldc && ldc.cst instanceof Type t && t.getSort() == Type.OBJECT) {
                    names.add(t.getInternalName());
                }
            }
        }
        if (c.superName != null) {
            names.add(c.superName);
        }
        names.addAll(c.interfaces);
        names.removeIf(n -> n.startsWith("[") || n.startsWith("java/") || n.startsWith("javax/")
                || n.startsWith("sun/") || n.startsWith("jdk/"));
        return names;
    }

    private static java.util.Optional<Path> jarOf(String internalName) {
        try {
            Class<?> type = Class.forName(internalName.replace('/', '.'), false, LibraryNeeds.class.getClassLoader());
            CodeSource source = type.getProtectionDomain().getCodeSource();
            if (source == null || !source.getLocation().getPath().endsWith(".jar")) {
                return java.util.Optional.empty();
            }
            return java.util.Optional.of(Path.of(source.getLocation().toURI()));
        } catch (ClassNotFoundException | LinkageError | URISyntaxException e) {
            return java.util.Optional.empty();
        }
    }

    private static Library read(Path path) {
        try (JarFile jar = new JarFile(path.toFile())) {
            String coordinates = coordinates(jar, path);
            boolean own = Collections.list(jar.entries()).stream()
                    .anyMatch(e -> e.getName().startsWith("META-INF/native-image/") && !e.isDirectory());
            String preparedBy = PREPARED_BY_EXTENSIONS.entrySet().stream()
                    .filter(e -> coordinates.startsWith(e.getKey())).map(Map.Entry::getValue).findFirst()
                    .orElse(null);
            Set<String> byName = new TreeSet<>();
            Map<String, String> providers = new TreeMap<>();
            Set<String> bundles = new TreeSet<>();
            if (preparedBy == null) {
                readBytecode(jar, own ? new TreeSet<>() : byName, bundles);
            }
            if (!own && preparedBy == null) {
                readServices(jar, providers);
            }
            return new Library(coordinates, path, own, preparedBy, byName, providers, bundles);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** groupId:artifactId from the jar's place in a Maven repository, else its Maven metadata, else its name. */
    private static String coordinates(JarFile jar, Path path) throws IOException {
        Path version = path.getParent();
        Path artifact = version == null ? null : version.getParent();
        for (Path p = artifact == null ? null : artifact.getParent(); p != null; p = p.getParent()) {
            if (p.getFileName() != null && p.getFileName().toString().equals("repository")) {
                return p.relativize(artifact.getParent()).toString().replace('/', '.') + ":" + artifact.getFileName();
            }
        }
        Enumeration<JarEntry> entries = jar.entries();
        while (entries.hasMoreElements()) {
            JarEntry e = entries.nextElement();
            if (e.getName().startsWith("META-INF/maven/") && e.getName().endsWith("/pom.properties")) {
                java.util.Properties p = new java.util.Properties();
                try (InputStream in = jar.getInputStream(e)) {
                    p.load(in);
                }
                return p.getProperty("groupId") + ":" + p.getProperty("artifactId");
            }
        }
        return path.getFileName().toString();
    }

    /**
     * Class names held as string constants, when the library loads classes by name at all; and the resource bundles
     * it opens: string constants naming a {@code .properties} file of the jar, when it calls
     * {@code ResourceBundle.getBundle} (a native image finds a bundle only when it is registered as one, even when
     * the library includes its files as resources).
     */
    private static void readBytecode(JarFile jar, Set<String> byName, Set<String> bundles) throws IOException {
        Set<String> classes = new TreeSet<>();
        Set<String> constants = new TreeSet<>();
        Set<String> entries = new TreeSet<>();
        boolean loadsByName = false;
        boolean opensBundles = false;
        for (JarEntry e : Collections.list(jar.entries())) {
            entries.add(e.getName());
            if (!e.getName().endsWith(".class") || e.getName().startsWith("META-INF/")) {
                continue;
            }
            classes.add(e.getName().substring(0, e.getName().length() - ".class".length()).replace('/', '.'));
            ClassNode c = new ClassNode();
            try (InputStream in = jar.getInputStream(e)) {
                new ClassReader(in).accept(c, ClassReader.SKIP_DEBUG);
            }
            for (FieldNode f : c.fields) {
                if (f.value instanceof String s) {
                    constants.add(s);
                }
            }
            for (MethodNode m : c.methods) {
                for (AbstractInsnNode insn : m.instructions) {
                    if (insn instanceof LdcInsnNode ldc && ldc.cst instanceof String s) {
                        constants.add(s);
                    } else if (insn instanceof LdcInsnNode ldc && ldc.cst instanceof Type t
                            && t.getSort() == Type.OBJECT && insn.getNext() instanceof MethodInsnNode next
                            && next.owner.equals("java/lang/Class") && next.name.equals("getName")) {
                        constants.add(t.getClassName()); // X.class.getName(): a name made at class initialisation
                    } else if (insn instanceof MethodInsnNode call && ((call.owner.equals("java/lang/Class")
                            && call.name.equals("forName")) || (call.owner.equals("java/lang/ClassLoader")
                            && call.name.equals("loadClass")))) {
                        loadsByName = true;
                    } else if (insn instanceof MethodInsnNode call && call.owner.equals("java/util/ResourceBundle")
                            && call.name.equals("getBundle")) {
                        opensBundles = true;
                    }
                }
            }
        }
        if (loadsByName) {
            constants.stream().filter(classes::contains).forEach(byName::add);
        }
        if (opensBundles) {
            constants.stream().filter(c -> entries.contains(c.replace('.', '/') + ".properties")).forEach(bundles::add);
        }
    }

    private static void readServices(JarFile jar, Map<String, String> providers) throws IOException {
        for (JarEntry e : Collections.list(jar.entries())) {
            if (e.getName().startsWith("META-INF/services/") && !e.isDirectory()) {
                String service = e.getName().substring("META-INF/services/".length());
                try (InputStream in = jar.getInputStream(e)) {
                    new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().map(l -> l.replaceAll("#.*", ""))
                            .map(String::strip).filter(l -> !l.isEmpty()).forEach(p -> providers.put(p, service));
                }
            }
        }
    }
}
