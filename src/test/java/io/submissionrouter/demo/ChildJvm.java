package io.submissionrouter.demo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A contender of the benchmark in a JVM of its own, so that the CPU it uses is its own: started with the
 * benchmark's class path (system property {@code bench.classpath}), its output in {@code target/bench-<name>.log}.
 * A child that takes commands reads them from its standard input and answers on its standard output.
 */
final class ChildJvm implements AutoCloseable {

    /** The router names Angus Mail's StreamProvider itself (see SmtpSessions); every contender gets the same. */
    static final String STREAM_PROVIDER = "-Djakarta.mail.util.StreamProvider=org.eclipse.angus.mail.util.MailStreamProvider";
    /** JBoss LogManager, which the Kafka clients log to (slf4j-jboss-logmanager), as java.util.logging's manager too. */
    static final String LOG_MANAGER = "-Djava.util.logging.manager=org.jboss.logmanager.LogManager";

    private final Process process;
    private final PrintWriter commands;
    private final BlockingQueue<String> answers = new LinkedBlockingQueue<>();

    private ChildJvm(Process process, boolean talks) {
        this.process = process;
        this.commands = new PrintWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8), true);
        if (talks) {
            Thread reader = new Thread(this::readAnswers, "bench-child-answers");
            reader.setDaemon(true);
            reader.start();
        }
    }

    /**
     * Starts {@code main} with {@code args}. With {@code talks}, its standard output is read for answers
     * ({@link #await}); otherwise it goes to the log with the rest.
     */
    static ChildJvm start(String name, Class<?> main, List<String> args, boolean talks) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                STREAM_PROVIDER, LOG_MANAGER, "-cp", classpath(), main.getName()));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command);
        String javaOptions = System.getenv("BENCH_CHILD_JAVA_OPTS"); // a profiler, say
        if (javaOptions != null) {
            pb.environment().put("JAVA_TOOL_OPTIONS", javaOptions);
        }
        ProcessBuilder.Redirect log = ProcessBuilder.Redirect.appendTo(Path.of("target", "bench-" + name + ".log").toFile());
        pb.redirectError(log);
        if (!talks) {
            pb.redirectOutput(log);
        }
        return new ChildJvm(pb.start(), talks);
    }

    private static String classpath() {
        String classpath = System.getProperty("bench.classpath");
        if (classpath == null) {
            throw new IllegalStateException("set -Dbench.classpath to the test class path (bench/throughput.sh does)");
        }
        return classpath;
    }

    long pid() {
        return process.pid();
    }

    /** Sends one command line. */
    void tell(String command) {
        commands.println(command);
    }

    /** The next answer starting with {@code word}; other lines are skipped. */
    String await(String word, Duration within) throws InterruptedException {
        long end = System.nanoTime() + within.toNanos();
        while (true) {
            String line = answers.poll(Math.max(1, end - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (line == null) {
                throw new IllegalStateException("no '" + word + "' from child " + pid() + " within " + within
                        + (process.isAlive() ? "" : " (it exited " + process.exitValue() + ")"));
            }
            if (line.startsWith(word + " ")) {
                return line.substring(word.length() + 1);
            }
        }
    }

    private void readAnswers() {
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                answers.add(line);
            }
        } catch (IOException ended) {
            // the child exited
        }
    }

    /** SIGTERM, and SIGKILL if it has not stopped after 30 s. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor();
        }
    }

    /**
     * What every JVM of the benchmark does first. No Quarkus application configures logging there: left alone, JBoss
     * LogManager keeps Quarkus's start-up level (everything), and the Kafka clients format every debug line (18% of a
     * JVM's CPU when it was measured).
     */
    static void quietLogging() {
        org.jboss.logmanager.LogContext.getLogContext().getLogger("").setLevel(java.util.logging.Level.INFO);
    }

    /** A child's answer to a command, on its standard output. */
    static void answer(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
