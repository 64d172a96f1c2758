package io.submissionrouter.nativeimage;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.LdcInsnNode;
import org.objectweb.asm.tree.LineNumberNode;
import org.objectweb.asm.tree.MethodInsnNode;
import org.objectweb.asm.tree.MethodNode;
import org.objectweb.asm.tree.VarInsnNode;
import org.objectweb.asm.tree.analysis.Analyzer;
import org.objectweb.asm.tree.analysis.AnalyzerException;
import org.objectweb.asm.tree.analysis.BasicValue;
import org.objectweb.asm.tree.analysis.Frame;
import org.objectweb.asm.tree.analysis.SimpleVerifier;
import org.objectweb.asm.tree.analysis.SourceInterpreter;
import org.objectweb.asm.tree.analysis.SourceValue;

/**
 * What the router's own bytecode asks of a native image at run time, read from the compiled classes with ASM (the
 * same reading a build tool would make, so the list follows the code): the types it hands Jackson to read or
 * write (Kafka records, control commands, the admin API's answers), the class-path resources it opens by name and
 * the classes it loads by name. A call site whose type or name the reading cannot tell (a value typed
 * {@code Object}, a name computed at run time) is reported as {@link #unreadable()}, so that a new call site can
 * not slip past the guard by being vague.
 */
final class BytecodeNeeds {

    private static final String MAPPER = "com/fasterxml/jackson/databind/ObjectMapper";
    private static final Set<String> JACKSON_OWNERS = Set.of(MAPPER, "com/fasterxml/jackson/databind/ObjectReader",
            "com/fasterxml/jackson/databind/ObjectWriter", "com/fasterxml/jackson/databind/json/JsonMapper");
    private static final Set<String> JACKSON_READS =
            Set.of("readValue", "treeToValue", "readerFor", "readValues", "convertValue");
    private static final Set<String> JACKSON_WRITES =
            Set.of("writeValueAsBytes", "writeValueAsString", "writeValue", "valueToTree");
    private static final String RESPONSE = "jakarta/ws/rs/core/Response";
    private static final Set<String> CONTAINERS = Set.of("java/util/List", "java/util/Set", "java/util/Map",
            "java/util/Collection", "java/util/Optional");
    private static final Set<String> CONTAINER_FACTORIES = Set.of("java/util/Map", "java/util/List", "java/util/Set");
    /** Types Jackson writes without reflection on them (its own serializers, the JavaTimeModule's). */
    private static final List<String> PLAIN = List.of("java/lang/String", "java/lang/Integer", "java/lang/Long",
            "java/lang/Boolean", "java/lang/Double", "java/time/", "java/util/Map", "java/util/List",
            "java/util/Set", "java/util/Collection", "com/fasterxml/jackson/databind/JsonNode",
            "com/fasterxml/jackson/databind/node/", "[B");

    private final Set<String> jacksonTypes = new TreeSet<>();
    private final Set<String> resources = new TreeSet<>();
    private final Set<String> classesByName = new TreeSet<>();
    private final List<String> unreadable = new ArrayList<>();
    private final List<ClassNode> classes = new ArrayList<>();

    /** Reads every class under {@code classes} (the module's compiled main classes). */
    static BytecodeNeeds of(Path classes) {
        try (Stream<Path> files = Files.walk(classes)) {
            return ofFiles(files.filter(p -> p.toString().endsWith(".class")).sorted().toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads the given class files. */
    static BytecodeNeeds ofFiles(List<Path> classFiles) {
        BytecodeNeeds needs = new BytecodeNeeds();
        try {
            for (Path file : classFiles) {
                try (InputStream in = Files.newInputStream(file)) {
                    ClassNode c = new ClassNode();
                    new ClassReader(in).accept(c, 0);
                    needs.classes.add(c);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (ClassNode c : needs.classes) {
            c.methods.forEach(m -> needs.read(c, m));
        }
        return needs;
    }

    /** Binary names of the classes Jackson reads or writes (the roots; their members are for the caller to walk). */
    Set<String> jacksonTypes() {
        return jacksonTypes;
    }

    /** Class-path resources opened by a constant name, as given (leading slash removed). */
    Set<String> resources() {
        return resources;
    }

    /** Binary names of classes loaded by a constant name. */
    Set<String> classesByName() {
        return classesByName;
    }

    /** Call sites the reading could not resolve, each as {@code Class.method line n: what}. */
    List<String> unreadable() {
        return unreadable;
    }

    private void read(ClassNode owner, MethodNode method) {
        if (!mayNeed(method)) {
            return;
        }
        Frames frames = frames(owner, method);
        if (frames == null) {
            return;
        }
        for (int i = 0; i < frames.insns.length; i++) {
            if (frames.insns[i] instanceof MethodInsnNode call && frames.sources[i] != null) {
                new Site(owner, method, frames, i, call, 0).read();
            }
        }
    }

    /** A method's instructions with the frames of both analyses, or null (reported) when it cannot be analysed. */
    private record Frames(AbstractInsnNode[] insns, Frame<SourceValue>[] sources, Frame<BasicValue>[] types) {
    }

    private Frames frames(ClassNode owner, MethodNode method) {
        try {
            return new Frames(method.instructions.toArray(),
                    new Analyzer<>(new SourceInterpreter()).analyze(owner.name, method),
                    new Analyzer<>(verifier(owner)).analyze(owner.name, method));
        } catch (AnalyzerException e) {
            unreadable.add(where(owner, method, e.node) + ": not analysable (" + e.getMessage() + ")");
            return null;
        }
    }

    private static boolean mayNeed(MethodNode method) {
        for (AbstractInsnNode insn : method.instructions) {
            if (insn instanceof MethodInsnNode call && (JACKSON_OWNERS.contains(call.owner)
                    || call.owner.equals(RESPONSE) || call.owner.startsWith(RESPONSE + "$")
                    || call.owner.equals("java/lang/Class") || call.owner.equals("java/lang/ClassLoader"))) {
                return true;
            }
        }
        return false;
    }

    private static java.lang.reflect.Type genericReturnType(MethodInsnNode call) throws ReflectiveOperationException {
        Class<?> owner = Class.forName(call.owner.replace('/', '.'), false, BytecodeNeeds.class.getClassLoader());
        for (Class<?> c = owner; c != null; c = c.getSuperclass()) {
            for (java.lang.reflect.Method m : c.getDeclaredMethods()) {
                if (m.getName().equals(call.name) && Type.getMethodDescriptor(m).equals(call.desc)) {
                    return m.getGenericReturnType();
                }
            }
        }
        for (java.lang.reflect.Method m : owner.getMethods()) {
            if (m.getName().equals(call.name) && Type.getMethodDescriptor(m).equals(call.desc)) {
                return m.getGenericReturnType();
            }
        }
        throw new NoSuchMethodException(call.owner + "." + call.name + call.desc);
    }

    private static java.lang.reflect.Type genericParameterType(ClassNode owner, MethodNode method, int parameter)
            throws ReflectiveOperationException {
        Class<?> type = Class.forName(owner.name.replace('/', '.'), false, BytecodeNeeds.class.getClassLoader());
        for (java.lang.reflect.Method m : type.getDeclaredMethods()) {
            if (m.getName().equals(method.name) && Type.getMethodDescriptor(m).equals(method.desc)) {
                return m.getGenericParameterTypes()[parameter];
            }
        }
        throw new NoSuchMethodException(owner.name + "." + method.name + method.desc);
    }

    private static SimpleVerifier verifier(ClassNode owner) {
        SimpleVerifier v = new SimpleVerifier(Opcodes.ASM9, Type.getObjectType(owner.name),
                owner.superName == null ? null : Type.getObjectType(owner.superName),
                owner.interfaces.stream().map(Type::getObjectType).toList(),
                (owner.access & Opcodes.ACC_INTERFACE) != 0) {
        };
        v.setClassLoader(BytecodeNeeds.class.getClassLoader());
        return v;
    }

    private static String where(ClassNode owner, MethodNode method, AbstractInsnNode at) {
        int line = -1;
        for (AbstractInsnNode n = at; n != null; n = n.getPrevious()) {
            if (n instanceof LineNumberNode l) {
                line = l.line;
                break;
            }
        }
        return owner.name.replace('/', '.') + "." + method.name + " line " + line;
    }

    /** One method call in one method, with the analysis frames of that method. */
    private final class Site {
        private final ClassNode owner;
        private final MethodNode method;
        private final AbstractInsnNode[] insns;
        private final Frame<SourceValue>[] sources;
        private final Frame<BasicValue>[] types;
        private final int index;
        private final MethodInsnNode call;
        private final int depth;

        Site(ClassNode owner, MethodNode method, Frames frames, int index, MethodInsnNode call, int depth) {
            this.owner = owner;
            this.method = method;
            this.insns = frames.insns;
            this.sources = frames.sources;
            this.types = frames.types;
            this.index = index;
            this.call = call;
            this.depth = depth;
        }

        void read() {
            Type[] args = Type.getArgumentTypes(call.desc);
            if (JACKSON_OWNERS.contains(call.owner) && JACKSON_READS.contains(call.name)) {
                for (int a = 0; a < args.length; a++) {
                    String d = args[a].getDescriptor();
                    if (d.equals("Ljava/lang/Class;")) {
                        classConstant(index, a, args.length).ifPresentOrElse(jacksonTypes::add,
                                () -> unreadable("a type to read that is not a class literal"));
                    } else if (d.contains("TypeReference") || d.contains("JavaType")) {
                        unreadable("a type to read given as " + args[a].getClassName());
                    }
                }
            } else if (JACKSON_OWNERS.contains(call.owner) && JACKSON_WRITES.contains(call.name)) {
                int value = args.length - 1; // writeValue(target, value) and the one-argument writes: the last
                valueTypes(index, value, args.length, "a value Jackson writes");
            } else if ((call.owner.equals(RESPONSE) && call.name.equals("ok") && args.length >= 1)
                    || (call.owner.equals(RESPONSE + "$ResponseBuilder") && call.name.equals("entity"))) {
                valueTypes(index, 0, args.length, "an answer of the admin API");
            } else if ((call.owner.equals("java/lang/Class") || call.owner.equals("java/lang/ClassLoader"))
                    && call.name.startsWith("getResource")) {
                stringConstant(index, 0, args.length).ifPresentOrElse(
                        r -> resources.add(r.startsWith("/") ? r.substring(1) : r),
                        () -> unreadable("a resource name that is not a constant"));
            } else if ((call.owner.equals("java/lang/Class") && call.name.equals("forName"))
                    || (call.owner.equals("java/lang/ClassLoader") && call.name.equals("loadClass"))) {
                stringConstant(index, 0, args.length).ifPresentOrElse(classesByName::add,
                        () -> unreadable("a class name that is not a constant"));
            }
        }

        /** The argument {@code arg} (of {@code count}) of the call at {@code at}, as the frame before it holds it. */
        private int slot(int at, int arg, int count) {
            return sources[at].getStackSize() - count + arg;
        }

        private java.util.Optional<String> classConstant(int at, int arg, int count) {
            for (AbstractInsnNode src : sources[at].getStack(slot(at, arg, count)).insns) {
                if (src instanceof LdcInsnNode ldc && ldc.cst instanceof Type t && t.getSort() == Type.OBJECT) {
                    return java.util.Optional.of(t.getClassName());
                }
            }
            return java.util.Optional.empty();
        }

        private java.util.Optional<String> stringConstant(int at, int arg, int count) {
            for (AbstractInsnNode src : sources[at].getStack(slot(at, arg, count)).insns) {
                if (src instanceof LdcInsnNode ldc && ldc.cst instanceof String s) {
                    return java.util.Optional.of(s);
                }
            }
            return java.util.Optional.empty();
        }

        /**
         * The static types of a value: its declared type when that names a class; the types of the values inside
         * when it was made by {@code Map.of}, {@code List.of} or {@code Set.of} right there.
         */
        private void valueTypes(int at, int arg, int count, String what) {
            int s = slot(at, arg, count);
            for (AbstractInsnNode src : sources[at].getStack(s).insns) {
                int from = indexOf(src);
                if (src instanceof MethodInsnNode made && made.getOpcode() == Opcodes.INVOKESTATIC
                        && CONTAINER_FACTORIES.contains(made.owner) && made.name.equals("of")) {
                    int n = Type.getArgumentTypes(made.desc).length;
                    for (int a = 0; a < n; a++) {
                        valueTypes(from, a, n, what);
                    }
                    return;
                }
            }
            Type type = types[at].getStack(types[at].getStackSize() - count + arg).getType();
            String name = type == null ? "null" : type.getInternalName();
            if (name.equals("java/lang/Object") && parameterOfPrivateMethod(at, s).isPresent()) {
                int p = parameterOfPrivateMethod(at, s).getAsInt();
                callersOf(method).forEach(caller -> caller.valueTypes(caller.index, p, caller.argCount(), what));
            } else if (name.equals("java/lang/Object")) {
                unreadable(what + " typed Object");
            } else if (CONTAINERS.contains(name)) {
                containedTypes(at, s, what);
            } else if (PLAIN.stream().noneMatch(name::startsWith)) {
                jacksonTypes.add(type.getClassName());
            }
        }

        /**
         * What a collection or map holds, read from the generic return type of the method that gave it (erased in
         * the bytecode); a container from anywhere else cannot be told.
         */
        private void containedTypes(int at, int slot, String what) {
            Set<AbstractInsnNode> from = sources[at].getStack(slot).insns;
            java.lang.reflect.Type returned;
            try {
                if (from.size() == 1 && from.iterator().next() instanceof MethodInsnNode made) {
                    returned = genericReturnType(made);
                } else if (parameter(at, slot).isPresent()) {
                    returned = genericParameterType(owner, method, parameter(at, slot).getAsInt());
                } else {
                    unreadable(what + " held in a collection or map whose contents cannot be told");
                    return;
                }
            } catch (ReflectiveOperationException | LinkageError e) {
                unreadable(what + " held in a collection or map whose contents cannot be told (" + e + ")");
                return;
            }
            if (!(returned instanceof java.lang.reflect.ParameterizedType p)) {
                unreadable(what + " in a raw collection or map");
                return;
            }
            for (java.lang.reflect.Type arg : p.getActualTypeArguments()) {
                if (arg instanceof Class<?> c && PLAIN.stream().noneMatch(Type.getInternalName(c)::startsWith)) {
                    jacksonTypes.add(c.getName());
                } else if (!(arg instanceof Class<?>)) {
                    unreadable(what + " of type " + arg.getTypeName());
                }
            }
        }

        /**
         * The parameter a value is, when it is one of a private method's parameters loaded as it came in: its
         * callers, all in this class, say what it is.
         */
        private java.util.OptionalInt parameterOfPrivateMethod(int at, int slot) {
            if ((method.access & Opcodes.ACC_PRIVATE) == 0 || depth > 3) {
                return java.util.OptionalInt.empty();
            }
            return parameter(at, slot);
        }

        /** The parameter a value is, when it is one of this method's parameters loaded as it came in. */
        private java.util.OptionalInt parameter(int at, int slot) {
            Set<AbstractInsnNode> from = sources[at].getStack(slot).insns;
            if (from.size() != 1 || !(from.iterator().next() instanceof VarInsnNode load)
                    || load.getOpcode() != Opcodes.ALOAD) {
                return java.util.OptionalInt.empty();
            }
            int local = (method.access & Opcodes.ACC_STATIC) != 0 ? 0 : 1;
            Type[] params = Type.getArgumentTypes(method.desc);
            for (int p = 0; p < params.length; p++) {
                if (local == load.var) {
                    boolean stored = false;
                    for (AbstractInsnNode n : insns) {
                        stored |= n instanceof VarInsnNode v && v.var == load.var && v.getOpcode() == Opcodes.ASTORE;
                    }
                    return stored ? java.util.OptionalInt.empty() : java.util.OptionalInt.of(p);
                }
                local += params[p].getSize();
            }
            return java.util.OptionalInt.empty();
        }

        /** The calls of {@code callee} in this class, each as a site to read its arguments at. */
        private List<Site> callersOf(MethodNode callee) {
            List<Site> callers = new ArrayList<>();
            for (MethodNode m : owner.methods) {
                Frames frames = null;
                AbstractInsnNode[] body = m.instructions.toArray();
                for (int i = 0; i < body.length; i++) {
                    if (body[i] instanceof MethodInsnNode c && c.owner.equals(owner.name)
                            && c.name.equals(callee.name) && c.desc.equals(callee.desc)) {
                        frames = frames != null ? frames : frames(owner, m);
                        if (frames != null && frames.sources[i] != null) {
                            callers.add(new Site(owner, m, frames, i, c, depth + 1));
                        }
                    }
                }
            }
            return callers;
        }

        private int argCount() {
            return Type.getArgumentTypes(call.desc).length;
        }

        private int indexOf(AbstractInsnNode insn) {
            for (int i = 0; i < insns.length; i++) {
                if (insns[i] == insn) {
                    return i;
                }
            }
            throw new IllegalStateException("instruction not in its method");
        }

        private void unreadable(String what) {
            unreadable.add(where(owner, method, call) + ": " + what);
        }
    }
}
