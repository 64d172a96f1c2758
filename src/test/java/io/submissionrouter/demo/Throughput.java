package io.submissionrouter.demo;

import io.submissionrouter.testing.EmbeddedKafka;
import io.submissionrouter.testing.RouterProcess;
import io.submissionrouter.testing.TestSmtpServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * The benchmark of {@code bench/throughput.sh} (issue 14): one run, side by side, the same jobs to the same SMTP sink
 * (subethasmtp, STARTTLS and AUTH) through the same broker, each contender in a JVM of its own:
 * <ol start="0">
 * <li>raw: the ceiling, a plain Angus Mail client, one kept session per thread, no Kafka ({@link RawSmtpClient});
 * <li>hand-written: the plain-Java pipeline a user would write instead of the router ({@link HandWrittenPipeline});
 * <li>router: the packaged router;
 * <li>naive: a camel-mail route with camel-mail's default sender, a new session per message ({@link NaiveCamelMail}).
 * </ol>
 * Twice: on loopback, then through a {@link LatencyProxy} in front of the sink (25 ms each way). The jobs topic has
 * 3 partitions; every contender has 32 SMTP sessions (threads) and, where it has consumers, one per partition. This
 * JVM runs the broker, the sink, the proxy, the job producer and the result readers, and its CPU is reported apart.
 * <p>
 * Each contender gets a warm-up, then a measured run of jobs written as a backlog (the rate is from the first job
 * written to the last result appended, its CPU the difference over that run), then a latency run at half that rate
 * for about {@code bench.latency.seconds}: each job's latency is from its record's CreateTime to its result's
 * LogAppendTime. Sizes and choices are system properties, see {@link #main}.
 */
public final class Throughput {

    private static final String[] CONTENDERS = {"raw", "hand-written", "router", "naive"};

    /** One setting of the bench, with what each contender gets. */
    private record Scenario(String name, int smtpPort, int jobs, int naiveJobs, int warmup, int naiveWarmup) {
    }

    private final EmbeddedKafka kafka;
    private final TestSmtpServer sink;
    private final TestSmtpServer fallback;
    private final JobFeed feed;
    private final int sessions = Integer.getInteger("bench.sessions", 32);
    private final int partitions = Integer.getInteger("bench.partitions", 3);
    private final int latencySeconds = Integer.getInteger("bench.latency.seconds", 10);
    private final int latencyMinJobs = Integer.getInteger("bench.latency.min-jobs", 50);

    private Throughput(EmbeddedKafka kafka, TestSmtpServer sink, TestSmtpServer fallback, JobFeed feed) {
        this.kafka = kafka;
        this.sink = sink;
        this.fallback = fallback;
        this.feed = feed;
    }

    /**
     * System properties: {@code bench.classpath} (required: the class path of the contenders' JVMs),
     * {@code bench.jobs} (20000), {@code bench.naive.jobs} (2000), {@code bench.warmup} (1000),
     * {@code bench.naive.warmup} (200) on loopback; {@code bench.proxy.jobs} (4000), {@code bench.proxy.naive.jobs}
     * (300), {@code bench.proxy.warmup} (200), {@code bench.proxy.naive.warmup} (30) through the proxy;
     * {@code bench.proxy.delay-ms} (25, each way); {@code bench.sessions} (32); {@code bench.partitions} (3);
     * {@code bench.latency.seconds} (10); {@code bench.latency.min-jobs} (50); {@code bench.scenarios}
     * (loopback,proxy); {@code bench.contenders} (raw,hand-written,router,naive).
     */
    public static void main(String[] args) throws Exception {
        ChildJvm.quietLogging();
        List<String> scenarios = List.of(System.getProperty("bench.scenarios", "loopback,proxy").split(","));
        List<String> contenders = List.of(System.getProperty("bench.contenders", String.join(",", CONTENDERS)).split(","));
        int delayMs = Integer.getInteger("bench.proxy.delay-ms", 25);
        String loadAtStart = ThroughputReport.load();
        System.out.println("throughput benchmark: " + Runtime.getRuntime().availableProcessors() + " cores, "
                + loadAtStart + " at start");
        ThroughputReport report = new ThroughputReport();
        try (EmbeddedKafka kafka = EmbeddedKafka.start();
                TestSmtpServer sink = TestSmtpServer.start("primary");
                TestSmtpServer fallback = TestSmtpServer.start("fallback");
                LatencyProxy proxy = LatencyProxy.start(sink.port(), Duration.ofMillis(delayMs));
                JobFeed feed = new JobFeed(kafka.bootstrapServers())) {
            sink.keepMessages(false);
            fallback.keepMessages(false);
            Throughput bench = new Throughput(kafka, sink, fallback, feed);
            for (String name : scenarios) {
                Scenario s = name.equals("proxy")
                        ? new Scenario(name, proxy.port(), Integer.getInteger("bench.proxy.jobs", 4000),
                                Integer.getInteger("bench.proxy.naive.jobs", 300),
                                Integer.getInteger("bench.proxy.warmup", 200), Integer.getInteger("bench.proxy.naive.warmup", 30))
                        : new Scenario(name, sink.port(), Integer.getInteger("bench.jobs", 20_000),
                                Integer.getInteger("bench.naive.jobs", 2000),
                                Integer.getInteger("bench.warmup", 1000), Integer.getInteger("bench.naive.warmup", 200));
                report.scenario(name, (name.equals("proxy") ? "through the latency proxy, " + delayMs + " ms each way"
                        : "loopback") + "; jobs topic " + bench.partitions + " partitions; " + bench.sessions
                        + " SMTP sessions per contender");
                System.out.println("== " + name);
                System.out.println(ThroughputReport.header());
                for (String contender : contenders) {
                    Measurement m = bench.measureOrFail(s, contender);
                    report.add(name, m);
                    System.out.println(ThroughputReport.row(m));
                }
            }
        }
        System.out.println();
        System.out.println("throughput benchmark (" + Runtime.getRuntime().availableProcessors()
                + " cores; CPU ms/job: the contender's JVM; harness CPU: broker, sink, proxy, producer, result reader)");
        report.lines().forEach(System.out::println);
        System.out.println();
        System.out.println(loadAtStart + " at start, " + ThroughputReport.load() + " at the end");
        System.exit(0); // the broker's and the clients' non-daemon threads
    }

    /** A contender that fails (a router that does not get ready, say) is a row that says so; the others still run. */
    private Measurement measureOrFail(Scenario s, String contender) throws InterruptedException {
        try {
            return measure(s, contender);
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            e.printStackTrace();
            return new Measurement(contender, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                    "failed: " + e);
        }
    }

    private Measurement measure(Scenario s, String contender) throws Exception {
        long deliveredBefore = sink.delivered();
        return switch (contender) {
            case "raw" -> raw(s, deliveredBefore);
            case "hand-written" -> viaKafka(s, contender, s.jobs(), s.warmup(), deliveredBefore, topics ->
                    child(ChildJvm.start("hand-written-" + s.name(), HandWrittenPipeline.class, List.of(
                            kafka.bootstrapServers(), topics.jobs(), topics.results(), topics.completions(),
                            topics.prefix(), "127.0.0.1", String.valueOf(s.smtpPort()), String.valueOf(sessions)), false)));
            case "router" -> viaKafka(s, contender, s.jobs(), s.warmup(), deliveredBefore, topics -> router(s, topics));
            case "naive" -> viaKafka(s, contender, s.naiveJobs(), s.naiveWarmup(), deliveredBefore, topics ->
                    child(ChildJvm.start("naive-" + s.name(), NaiveCamelMail.class, List.of(kafka.bootstrapServers(),
                            topics.jobs(), topics.results(), topics.prefix(), "127.0.0.1", String.valueOf(s.smtpPort()),
                            String.valueOf(partitions)), false)));
            default -> throw new IllegalArgumentException("no contender " + contender + "; known: " + Arrays.toString(CONTENDERS));
        };
    }

    /** The ceiling: the raw client sends the messages itself, no Kafka; it measures its own time and latencies. */
    private Measurement raw(Scenario s, long deliveredBefore) throws Exception {
        try (ChildJvm raw = ChildJvm.start("raw-" + s.name(), RawSmtpClient.class,
                List.of("127.0.0.1", String.valueOf(s.smtpPort()), String.valueOf(sessions)), true)) {
            raw.tell("send " + s.warmup());
            raw.await("sent", within(s.warmup()));
            Cpu cpu = Cpu.start(raw.pid());
            raw.tell("send " + s.jobs());
            double perSecond = s.jobs() / (Long.parseLong(raw.await("sent", within(s.jobs()))) / 1e9);
            Cpu.Used used = cpu.used(s.jobs());
            int paced = pacedJobs(perSecond);
            raw.tell("paced " + paced + " " + perSecond / 2);
            String[] latency = raw.await("latencies", within(paced).plus(pacedFor(paced, perSecond))).split(" ");
            raw.tell("quit");
            return new Measurement("raw", s.jobs(), perSecond, used.contenderMsPerJob(), used.harnessMsPerJob(),
                    perSecond / 2, Double.parseDouble(latency[0]), Double.parseDouble(latency[1]),
                    sinkCheck(deliveredBefore, s.warmup() + s.jobs() + paced));
        }
    }

    /** The topics of one contender in one scenario, none shared with another. */
    record Topics(String prefix) {
        String jobs() {
            return prefix + ".jobs";
        }

        String results() {
            return prefix + ".results";
        }

        String completions() {
            return prefix + ".completions";
        }
    }

    /** A contender's process while it runs. */
    private interface Running extends AutoCloseable {
        long pid();
    }

    private interface Starter {
        Running start(Topics topics) throws Exception;
    }

    /** A contender that reads jobs from Kafka and writes results there: warm-up, measured run, latency run. */
    private Measurement viaKafka(Scenario s, String contender, int jobs, int warmup, long deliveredBefore,
            Starter starter) throws Exception {
        Topics topics = new Topics("bench." + s.name() + "." + contender);
        createTopics(topics);
        try (ResultWatch results = new ResultWatch(kafka.bootstrapServers(), topics.results());
                Running running = starter.start(topics)) {
            feed.backlog(topics.jobs(), "warm", warmup);
            results.await("warm", warmup, within(warmup).plusMinutes(2));
            Cpu cpu = Cpu.start(running.pid());
            long first = feed.backlog(topics.jobs(), "run", jobs);
            results.await("run", jobs, within(jobs));
            Cpu.Used used = cpu.used(jobs);
            double perSecond = jobs / ((results.lastAt("run") - first) / 1000.0);

            int paced = pacedJobs(perSecond);
            Map<String, Long> sentAt = feed.paced(topics.jobs(), ResultWatch.LATENCY_PHASE, paced, perSecond / 2);
            results.await(ResultWatch.LATENCY_PHASE, paced, within(paced));
            long[] latencies = results.latencyResults().entrySet().stream()
                    .mapToLong(e -> e.getValue() - sentAt.get(e.getKey())).toArray();
            long notSent = results.notSent("warm") + results.notSent("run") + results.notSent(ResultWatch.LATENCY_PHASE);
            String problems = (notSent == 0 ? "" : notSent + " results not SENT; ")
                    + sinkCheck(deliveredBefore, warmup + jobs + paced);
            return new Measurement(contender, jobs, perSecond, used.contenderMsPerJob(), used.harnessMsPerJob(),
                    perSecond / 2, Percentiles.of(latencies, 50), Percentiles.of(latencies, 99), problems.strip());
        }
    }

    private void createTopics(Topics topics) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topics.jobs(), partitions, (short) 1),
                    // a result's timestamp is when the broker appended it: when it was durable
                    new NewTopic(topics.results(), partitions, (short) 1)
                            .configs(Map.of("message.timestamp.type", "LogAppendTime")),
                    new NewTopic(topics.completions(), partitions, (short) 1))).all().get();
        }
    }

    /**
     * The packaged router on the contender's topics, its primary endpoint the sink (or the proxy); 32 jobs in flight
     * and 32 kept sessions per endpoint, one consumer per partition. {@code ROUTER_ENV} (K=V,K=V) adds settings and
     * {@code ROUTER_JAVA_OPTS} JVM options (a profiler, say).
     */
    private Running router(Scenario s, Topics topics) throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("SUBMISSION_TOPICS_JOBS", topics.jobs());
        env.put("SUBMISSION_TOPICS_RESULTS", topics.results());
        env.put("SUBMISSION_TOPICS_IDEMPOTENCY", topics.prefix() + ".completed");
        for (String topic : List.of("attempts", "dlq", "retry", "control")) {
            env.put("SUBMISSION_TOPICS_" + topic.toUpperCase(), topics.prefix() + "." + topic);
        }
        env.put("SUBMISSION_CONSUMER_GROUP_ID", topics.prefix());
        env.put("SUBMISSION_SMTP_PRIMARY_PORT", String.valueOf(s.smtpPort()));
        env.put("SUBMISSION_CONCURRENCY_CONSUMERS", String.valueOf(partitions));
        env.put("SUBMISSION_CONCURRENCY_IN_FLIGHT", String.valueOf(sessions));
        env.put("SUBMISSION_SMTP_POOL_MAX_CONNECTIONS", String.valueOf(sessions));
        env.put("QUARKUS_LOG_CATEGORY__IO_SUBMISSIONROUTER__LEVEL", "WARN");
        for (String setting : System.getenv().getOrDefault("ROUTER_ENV", "").split(",")) {
            if (setting.contains("=")) {
                env.put(setting.substring(0, setting.indexOf('=')), setting.substring(setting.indexOf('=') + 1));
            }
        }
        String javaOptions = System.getenv().getOrDefault("ROUTER_JAVA_OPTS", System.getenv("BENCH_CHILD_JAVA_OPTS"));
        if (javaOptions != null) {
            env.put("JAVA_TOOL_OPTIONS", javaOptions);
        }
        RouterProcess router = new RouterProcess(kafka, sink, fallback, Path.of("target/bench-router-" + s.name() + ".log"), env);
        router.start();
        return new Running() {
            @Override
            public long pid() {
                return router.pid();
            }

            @Override
            public void close() throws Exception {
                router.terminate(Duration.ofSeconds(60));
            }
        };
    }

    private static Running child(ChildJvm jvm) {
        return new Running() {
            @Override
            public long pid() {
                return jvm.pid();
            }

            @Override
            public void close() throws Exception {
                jvm.close();
            }
        };
    }

    /** Jobs of the latency run: half the measured rate for bench.latency.seconds, at least bench.latency.min-jobs. */
    private int pacedJobs(double perSecond) {
        return (int) Math.max(latencyMinJobs, Math.round(perSecond / 2 * latencySeconds));
    }

    /** How long the latency run takes to write its jobs. */
    private static Duration pacedFor(int paced, double perSecond) {
        return Duration.ofMillis((long) (paced / (perSecond / 2) * 1000));
    }

    /** Time enough for {@code jobs} jobs at 2 per second, and two minutes. */
    private static Duration within(int jobs) {
        return Duration.ofSeconds(120 + jobs / 2);
    }

    /** Whether the sink got every message the contender had to send since {@code before}; empty if so. */
    private String sinkCheck(long before, long expected) throws InterruptedException {
        for (int i = 0; i < 100 && sink.delivered() - before < expected; i++) {
            Thread.sleep(20);
        }
        long got = sink.delivered() - before;
        return got == expected ? "" : "the sink got " + got + " messages for " + expected + " jobs";
    }

    /** CPU used by a contender's JVM and by this one, from a point on. */
    private record Cpu(ProcessHandle contender, Duration contenderAtStart, Duration harnessAtStart) {
        record Used(double contenderMsPerJob, double harnessMsPerJob) {
        }

        static Cpu start(long pid) {
            ProcessHandle contender = ProcessHandle.of(pid).orElseThrow();
            return new Cpu(contender, cpu(contender), cpu(ProcessHandle.current()));
        }

        Used used(int jobs) {
            return new Used(cpu(contender).minus(contenderAtStart).toNanos() / 1e6 / jobs,
                    cpu(ProcessHandle.current()).minus(harnessAtStart).toNanos() / 1e6 / jobs);
        }

        private static Duration cpu(ProcessHandle process) {
            return process.info().totalCpuDuration().orElseThrow();
        }
    }
}
