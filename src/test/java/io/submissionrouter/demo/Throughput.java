package io.submissionrouter.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.submissionrouter.config.TrustStores;
import io.submissionrouter.smtp.SmtpSessions;
import io.submissionrouter.testing.EmbeddedKafka;
import io.submissionrouter.testing.Jobs;
import io.submissionrouter.testing.RouterProcess;
import io.submissionrouter.testing.TestSmtpServer;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The benchmark of {@code bench/throughput.sh}, everything on loopback in one run: (a) the ceiling, a raw
 * Angus Mail client with the router's STARTTLS, AUTH and concurrency, one reused session per thread, straight
 * to the SMTP sink; (b) the packaged router end to end (Kafka, SMTP, results) to the same sink; (c) the naive
 * baseline, a plain camel-mail route as commonly written (one consumer, a new session per message). Then the
 * router's job latency at half its throughput, the time from 587 going dark (refused, then dropped) to the
 * first job served by 2525, and its heap and RSS after the jobs and with a backlog of a million jobs waiting.
 * <p>
 * System properties: {@code bench.jobs} (100000), {@code bench.naive.jobs} (3000), {@code bench.concurrency}
 * (4), {@code bench.backlog} (1000000).
 */
public final class Throughput {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String JOBS = "email.jobs";
    private static final String RESULTS = "email.results";

    private Throughput() {
    }

    public static void main(String[] args) throws Exception {
        // No Quarkus application configures logging in this JVM: left alone, JBoss LogManager keeps Quarkus's
        // start-up level (everything), and the embedded broker and clients format every debug line (18% of
        // this JVM's CPU, taken from the router on the same 2 cores).
        org.jboss.logmanager.LogContext.getLogContext().getLogger("").setLevel(java.util.logging.Level.INFO);
        SmtpSessions.nameStreamProvider(); // the raw client gets the router's Jakarta Mail setting: a fair ceiling
        int jobs = Integer.getInteger("bench.jobs", 100_000);
        int naiveJobs = Integer.getInteger("bench.naive.jobs", 3_000);
        int concurrency = Integer.getInteger("bench.concurrency", 4);
        int backlog = Integer.getInteger("bench.backlog", 1_000_000);
        List<String> report = new ArrayList<>();
        try (EmbeddedKafka kafka = EmbeddedKafka.start();
                TestSmtpServer sink = TestSmtpServer.start("primary");
                TestSmtpServer fallback = TestSmtpServer.start("fallback");
                KafkaProducer<byte[], byte[]> producer = producer(kafka)) {
            sink.keepMessages(false);
            fallback.keepMessages(false);
            kafka.createTopic(JOBS, concurrency * 2);
            kafka.createTopic("naive.jobs", 1);

            Duration benchCpu = cpu(ProcessHandle.current());
            double raw = rawCeiling(sink, jobs, concurrency);
            report.add(String.format("(a) raw SMTP ceiling     %8.0f jobs/s  (%d messages, %d threads, one session each)",
                    raw, jobs, concurrency));
            report.add(String.format("    CPU per message: client and sink %.2f ms",
                    perJob(cpu(ProcessHandle.current()).minus(benchCpu), jobs)));

            sink.reset();
            sink.keepMessages(false);
            double naive = naiveCamelMail(kafka, producer, sink, naiveJobs);
            report.add(String.format("(c) naive camel-mail     %8.0f jobs/s  (%d jobs, one consumer, new session each)",
                    naive, naiveJobs));

            sink.reset();
            sink.keepMessages(false);
            Map<String, String> env = new HashMap<>(Map.of(
                    "SUBMISSION_CONCURRENCY_CONSUMERS", String.valueOf(concurrency),
                    "SUBMISSION_SMTP_POOL_MAX_CONNECTIONS", String.valueOf(concurrency),
                    "SUBMISSION_SMTP_CONNECT_TIMEOUT", "1s",
                    "SUBMISSION_BREAKER_WINDOW", "4",
                    "SUBMISSION_BREAKER_OPEN_DURATION", "5s",
                    "QUARKUS_LOG_CATEGORY__IO_SUBMISSIONROUTER__LEVEL", "WARN"));
            if (System.getenv("ROUTER_JAVA_OPTS") != null) {
                env.put("JAVA_TOOL_OPTIONS", System.getenv("ROUTER_JAVA_OPTS")); // a profiler, a heap bound
            }
            RouterProcess router = new RouterProcess(kafka, sink, fallback, Path.of("target/bench-router.log"), env);
            router.start();
            try (ResultReader results = new ResultReader(kafka)) {
                String run = UUID.randomUUID().toString().substring(0, 8);
                produce(producer, "warm-" + run, 1000, JOBS);
                results.await(1000, Duration.ofMinutes(2));

                Duration routerCpu = cpu(ProcessHandle.of(router.pid()).orElseThrow());
                benchCpu = cpu(ProcessHandle.current());
                Instant start = Instant.now();
                produce(producer, run, jobs, JOBS);
                results.await(1000 + jobs, Duration.ofMinutes(60));
                double routerMs = perJob(cpu(ProcessHandle.of(router.pid()).orElseThrow()).minus(routerCpu), jobs);
                double restMs = perJob(cpu(ProcessHandle.current()).minus(benchCpu), jobs);
                double seconds = Duration.between(start, results.last).toMillis() / 1000.0;
                double rate = jobs / seconds;
                report.add(String.format("(b) router end to end    %8.0f jobs/s  (%d jobs, %d consumers, %d sessions per endpoint)",
                        rate, jobs, concurrency, concurrency));
                report.add(String.format("    CPU per job: router %.2f ms; broker, sink, producer and result reader %.2f ms",
                        routerMs, restMs));
                report.add(String.format("    router / ceiling     %8.2f", rate / raw));
                report.add(String.format("    router / naive       %8.1f", rate / naive));
                report.add("    router after the jobs: " + memory(router));

                int paced = (int) Math.max(100, Math.min(rate / 2, 2000) * 15);
                List<Long> latencies = pacedLatencies(producer, results, "lat-" + run, paced, rate / 2);
                report.add(String.format("    latency at %.0f jobs/s (%d jobs): p50 %d ms, p99 %d ms", rate / 2,
                        paced, percentile(latencies, 50), percentile(latencies, 99)));

                report.add(failover(producer, sink, fallback, TestSmtpServer.Mode.REFUSE, "refused", run));
                Thread.sleep(7000); // the primary's breaker closes again
                report.add(failover(producer, sink, fallback, TestSmtpServer.Mode.DROP, "dropped (connect-timeout 1s)", run));
                Thread.sleep(7000);

                produce(producer, "backlog-" + run, backlog, JOBS);
                Thread.sleep(30_000);
                report.add(String.format("    with a backlog of %,d jobs waiting (%,d still waiting): %s", backlog,
                        backlog - (results.count - (1000 + jobs + paced + 2 * FAILOVER_JOBS)), memory(router)));
            } finally {
                router.terminate(Duration.ofSeconds(60));
            }
        }
        System.out.println();
        System.out.println("throughput benchmark (" + Runtime.getRuntime().availableProcessors() + " cores, loopback)");
        report.forEach(System.out::println);
    }

    /** (a) Each thread keeps one authenticated STARTTLS session and sends its share of the messages on it. */
    private static double rawCeiling(TestSmtpServer sink, int messages, int threads) throws Exception {
        Session session = Session.getInstance(smtpProperties(sink));
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        AtomicInteger next = new AtomicInteger();
        Instant start = Instant.now();
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            done.add(pool.submit(() -> {
                try (Transport transport = session.getTransport("smtp")) {
                    transport.connect("127.0.0.1", sink.port(), TestSmtpServer.USER, TestSmtpServer.PASSWORD);
                    for (int i = next.getAndIncrement(); i < messages; i = next.getAndIncrement()) {
                        MimeMessage m = new MimeMessage(session);
                        m.setFrom(new InternetAddress("Shop <noreply@shop.example>"));
                        m.setRecipients(MimeMessage.RecipientType.TO, "ada@example.org");
                        m.setSubject("Your order raw-" + i, "UTF-8");
                        m.setText("Thanks for your order.", "UTF-8");
                        m.saveChanges();
                        transport.sendMessage(m, m.getAllRecipients());
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : done) {
            f.get();
        }
        double seconds = Duration.between(start, Instant.now()).toMillis() / 1000.0;
        pool.shutdown();
        await(() -> sink.delivered() >= messages, Duration.ofSeconds(30));
        return messages / seconds;
    }

    /** (c) The route a team would write first: kafka to smtp, camel-mail's default sender. */
    private static double naiveCamelMail(EmbeddedKafka kafka, KafkaProducer<byte[], byte[]> producer,
            TestSmtpServer sink, int jobs) throws Exception {
        produce(producer, "naive", jobs, "naive.jobs");
        try (CamelContext camel = new DefaultCamelContext()) {
            camel.getRegistry().bind("mailProperties", smtpProperties(sink));
            camel.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    from("kafka:naive.jobs?brokers=" + kafka.bootstrapServers()
                            + "&groupId=naive&autoOffsetReset=earliest"
                            + "&valueDeserializer=org.apache.kafka.common.serialization.StringDeserializer")
                            .process(e -> {
                                JsonNode job = JSON.readTree(e.getMessage().getBody(String.class));
                                e.getMessage().setHeader("From", job.path("from").asText());
                                e.getMessage().setHeader("To", job.path("to").get(0).asText());
                                e.getMessage().setHeader("Subject", job.path("subject").asText());
                                e.getMessage().setBody(job.path("text").asText());
                            })
                            .to("smtp://127.0.0.1:" + sink.port() + "?username=" + TestSmtpServer.USER
                                    + "&password=" + TestSmtpServer.PASSWORD
                                    + "&additionalJavaMailProperties=#mailProperties");
                }
            });
            Instant start = Instant.now();
            camel.start();
            await(() -> sink.delivered() >= jobs, Duration.ofMinutes(30));
            return jobs / (Duration.between(start, Instant.now()).toMillis() / 1000.0);
        }
    }

    private static final int FAILOVER_JOBS = 400;

    /** Jobs at 100/s; the primary goes dark after the first 100; the time until the fallback serves one. */
    private static String failover(KafkaProducer<byte[], byte[]> producer, TestSmtpServer primary,
            TestSmtpServer fallback, TestSmtpServer.Mode dark, String how, String run) throws Exception {
        fallback.reset();
        fallback.keepMessages(false);
        Instant wentDark = null;
        for (int i = 0; i < FAILOVER_JOBS; i++) {
            if (i == 100) {
                primary.mode(dark);
                wentDark = Instant.now();
            }
            produceOne(producer, "failover-" + how.charAt(0) + "-" + run + "-" + i, JOBS);
            Thread.sleep(10);
        }
        Instant darkAt = wentDark;
        await(() -> fallback.firstDelivery() != null, Duration.ofSeconds(60));
        primary.mode(TestSmtpServer.Mode.UP);
        return String.format("    failover, 587 %s: first job served by 2525 after %d ms", how,
                Duration.between(darkAt, fallback.firstDelivery()).toMillis());
    }

    private static List<Long> pacedLatencies(KafkaProducer<byte[], byte[]> producer, ResultReader results,
            String prefix, int count, double perSecond) throws Exception {
        long before = results.count;
        long intervalNanos = (long) (1_000_000_000L / perSecond);
        long next = System.nanoTime();
        Map<String, Long> sentAt = new HashMap<>();
        for (int i = 0; i < count; i++) {
            long wait = next - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            String jobId = prefix + "-" + i;
            sentAt.put(jobId, produceOne(producer, jobId, JOBS));
            next += intervalNanos;
        }
        producer.flush();
        results.await(before + count, Duration.ofMinutes(10));
        List<Long> latencies = new ArrayList<>();
        results.resultTimes(prefix).forEach((jobId, at) -> latencies.add(at - sentAt.get(jobId)));
        return latencies;
    }

    private static String memory(RouterProcess router) throws Exception {
        run("jcmd", String.valueOf(router.pid()), "GC.run");
        String heap = run("jcmd", String.valueOf(router.pid()), "GC.heap_info");
        String used = Arrays.stream(heap.split("\n")).filter(l -> l.contains("used"))
                .findFirst().map(l -> l.replaceAll(".*used ([0-9]+K).*", "$1")).orElse("?");
        String rss = Files.readAllLines(Path.of("/proc/" + router.pid() + "/status")).stream()
                .filter(l -> l.startsWith("VmRSS:")).findFirst().map(l -> l.replaceAll("\\s+", " ")).orElse("?");
        return "heap used after a full GC " + used + ", " + rss;
    }

    /** CPU time (user and system) a process has used so far. */
    private static Duration cpu(ProcessHandle process) {
        return process.info().totalCpuDuration().orElseThrow();
    }

    private static double perJob(Duration cpu, int jobs) {
        return cpu.toNanos() / 1e6 / jobs;
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(60, TimeUnit.SECONDS);
        return out;
    }

    private static long percentile(List<Long> values, int p) {
        List<Long> sorted = values.stream().sorted().toList();
        return sorted.isEmpty() ? -1 : sorted.get(Math.min(sorted.size() - 1, sorted.size() * p / 100));
    }

    private static Properties smtpProperties(TestSmtpServer sink) {
        Properties p = new Properties();
        p.put("mail.smtp.auth", "true");
        p.put("mail.smtp.starttls.enable", "true");
        p.put("mail.smtp.starttls.required", "true");
        p.put("mail.smtp.ssl.checkserveridentity", "true");
        p.put("mail.smtp.ssl.socketFactory", TrustStores.socketFactory(Optional.of(RouterProcess.trustPem().toString()), "bench"));
        p.put("mail.smtp.connectiontimeout", "5000");
        p.put("mail.smtp.timeout", "30000");
        return p;
    }

    private static KafkaProducer<byte[], byte[]> producer(EmbeddedKafka kafka) {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.LINGER_MS_CONFIG, 5, ProducerConfig.BATCH_SIZE_CONFIG, 262144,
                ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4"),
                new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static void produce(KafkaProducer<byte[], byte[]> producer, String prefix, int count, String topic) {
        for (int i = 0; i < count; i++) {
            produceOne(producer, prefix + "-" + i, topic);
        }
        producer.flush();
    }

    /** One job, its record stamped with the time it was sent. */
    private static long produceOne(KafkaProducer<byte[], byte[]> producer, String jobId, String topic) {
        long now = System.currentTimeMillis();
        producer.send(new ProducerRecord<>(topic, null, now, jobId.getBytes(StandardCharsets.UTF_8),
                Jobs.json(Jobs.job(jobId)).getBytes(StandardCharsets.UTF_8)));
        return now;
    }

    private static void await(java.util.function.BooleanSupplier condition, Duration within) throws InterruptedException {
        Instant end = Instant.now().plus(within);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(end)) {
                throw new IllegalStateException("timed out after " + within);
            }
            Thread.sleep(20);
        }
    }

    /**
     * Reads the results topic on its own thread: counts results, keeps when the last came, and when the result
     * of each latency-probe job ({@code lat-}) was written.
     */
    private static final class ResultReader implements AutoCloseable {
        private final KafkaConsumer<byte[], byte[]> consumer;
        private final Thread thread;
        private final Map<String, Long> resultTimes = new java.util.concurrent.ConcurrentHashMap<>();
        private volatile long count;
        private volatile Instant last = Instant.now();
        private volatile boolean running = true;

        ResultReader(EmbeddedKafka kafka) {
            consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                    ConsumerConfig.GROUP_ID_CONFIG, "bench-" + UUID.randomUUID(),
                    ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                    new ByteArrayDeserializer(), new ByteArrayDeserializer());
            consumer.subscribe(List.of(RESULTS));
            thread = new Thread(this::read, "bench-results");
            thread.start();
        }

        private void read() {
            while (running) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    String jobId = new String(r.key(), StandardCharsets.UTF_8);
                    if (jobId.startsWith("lat-")) {
                        resultTimes.put(jobId, r.timestamp());
                    }
                    count++;
                    last = Instant.now();
                }
            }
            consumer.close();
        }

        void await(long results, Duration within) throws InterruptedException {
            Throughput.await(() -> count >= results, within);
        }

        /** When the result of each job whose id starts with {@code prefix} was written. */
        Map<String, Long> resultTimes(String prefix) {
            Map<String, Long> times = new HashMap<>();
            resultTimes.forEach((jobId, at) -> {
                if (jobId.startsWith(prefix)) {
                    times.put(jobId, at);
                }
            });
            return times;
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join(5000);
        }
    }
}
