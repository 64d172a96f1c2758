package io.submissionrouter.demo;

import io.submissionrouter.testing.EmbeddedKafka;
import io.submissionrouter.testing.RouterProcess;
import io.submissionrouter.testing.TestSmtpServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The extras of {@code bench/throughput.sh extras}, apart from the throughput comparison: the time from 587 going dark
 * (connections refused, then packets dropped) to the first job served by 2525, and the packaged router's heap and RSS
 * after a run of jobs and with a backlog waiting.
 * <p>
 * System properties: {@code bench.jobs} (20000, the run before the memory reading), {@code bench.backlog} (1000000),
 * {@code bench.consumers} (4).
 */
public final class FailoverAndMemory {

    private static final String JOBS = "email.jobs";
    private static final int FAILOVER_JOBS = 400;

    private FailoverAndMemory() {
    }

    public static void main(String[] args) throws Exception {
        ChildJvm.quietLogging();
        int jobs = Integer.getInteger("bench.jobs", 20_000);
        int backlog = Integer.getInteger("bench.backlog", 1_000_000);
        int consumers = Integer.getInteger("bench.consumers", 4);
        try (EmbeddedKafka kafka = EmbeddedKafka.start();
                TestSmtpServer primary = TestSmtpServer.start("primary");
                TestSmtpServer fallback = TestSmtpServer.start("fallback");
                JobFeed feed = new JobFeed(kafka.bootstrapServers());
                ResultWatch results = new ResultWatch(kafka.bootstrapServers(), "email.results")) {
            primary.keepMessages(false);
            fallback.keepMessages(false);
            kafka.createTopic(JOBS, consumers);
            RouterProcess router = new RouterProcess(kafka, primary, fallback, Path.of("target/bench-extras-router.log"),
                    Map.of("SUBMISSION_CONCURRENCY_CONSUMERS", String.valueOf(consumers),
                            "SUBMISSION_SMTP_POOL_MAX_CONNECTIONS", String.valueOf(consumers),
                            "SUBMISSION_SMTP_CONNECT_TIMEOUT", "1s",
                            "SUBMISSION_BREAKER_WINDOW", "4",
                            "SUBMISSION_BREAKER_OPEN_DURATION", "5s",
                            "QUARKUS_LOG_CATEGORY__IO_SUBMISSIONROUTER__LEVEL", "WARN"));
            router.start();
            try {
                feed.backlog(JOBS, "run", jobs);
                results.await("run", jobs, Duration.ofMinutes(60));
                System.out.println("router after " + jobs + " jobs: " + memory(router));

                System.out.println(failover(feed, primary, fallback, TestSmtpServer.Mode.REFUSE, "refuses connections"));
                Thread.sleep(7000); // the primary's breaker closes again
                System.out.println(failover(feed, primary, fallback, TestSmtpServer.Mode.DROP,
                        "drops packets (connect-timeout 1s)"));
                Thread.sleep(7000);

                feed.backlog(JOBS, "backlog", backlog);
                Thread.sleep(30_000);
                System.out.printf("with a backlog of %,d jobs waiting (%,d still waiting): %s%n", backlog,
                        backlog - results.count("backlog"), memory(router));
            } finally {
                router.terminate(Duration.ofSeconds(60));
            }
        }
        System.exit(0);
    }

    /** Jobs at 100/s; the primary goes dark after the first 100; the time until the fallback serves one. */
    private static String failover(JobFeed feed, TestSmtpServer primary, TestSmtpServer fallback,
            TestSmtpServer.Mode dark, String how) throws Exception {
        fallback.reset();
        fallback.keepMessages(false);
        String phase = dark.name().toLowerCase(); // job ids of their own: the router would take copies as DUPLICATE
        feed.paced(JOBS, phase + "before", 100, 100);
        primary.mode(dark);
        Instant wentDark = Instant.now();
        feed.paced(JOBS, phase + "dark", FAILOVER_JOBS - 100, 100);
        Instant end = Instant.now().plusSeconds(60);
        while (fallback.firstDelivery() == null && Instant.now().isBefore(end)) {
            Thread.sleep(20);
        }
        primary.mode(TestSmtpServer.Mode.UP);
        return fallback.firstDelivery() == null ? "587 " + how + ": 2525 served no job within 60 s"
                : String.format("587 %s: first job served by 2525 after %d ms", how,
                        Duration.between(wentDark, fallback.firstDelivery()).toMillis());
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

    private static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(60, TimeUnit.SECONDS);
        return out;
    }
}
