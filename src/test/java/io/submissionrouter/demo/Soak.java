package io.submissionrouter.demo;

import com.fasterxml.jackson.databind.JsonNode;
import io.submissionrouter.job.MessageIds;
import io.submissionrouter.testing.EmbeddedKafka;
import io.submissionrouter.testing.Jobs;
import io.submissionrouter.testing.KafkaTestClient;
import io.submissionrouter.testing.RouterProcess;
import io.submissionrouter.testing.TestSmtpServer;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The soak of {@code bench/soak.sh}: N jobs (system property {@code soak.jobs}, default 100000) through the
 * packaged router and two SMTP servers that randomly cut connections, hang, answer 451 after the dot and
 * drop the connection after the dot. Reports lost jobs (must be 0), results by status, and messages sent
 * more than once (the uncertain drops make some expected: the server took the message, the router could
 * not know, and resent it with the same Message-ID).
 */
public final class Soak {

    private Soak() {
    }

    public static void main(String[] args) throws Exception {
        int jobs = Integer.getInteger("soak.jobs", 100_000);
        Duration deadline = Duration.ofSeconds(Long.getLong("soak.timeout.seconds", Math.max(300, jobs)));
        TestSmtpServer.Chaos chaos = new TestSmtpServer.Chaos(0.03, 0.01, 0.03, 0.01);
        try (EmbeddedKafka kafka = EmbeddedKafka.start();
                TestSmtpServer primary = TestSmtpServer.start("primary");
                TestSmtpServer fallback = TestSmtpServer.start("fallback");
                KafkaTestClient client = new KafkaTestClient(kafka.bootstrapServers(),
                        List.of("email.results", "email.dlq"))) {
            primary.chaos(chaos);
            fallback.chaos(chaos);
            RouterProcess router = new RouterProcess(kafka, primary, fallback, Path.of("target/soak-router.log"), Map.of(
                    "SUBMISSION_SMTP_CONNECT_TIMEOUT", "1s", "SUBMISSION_SMTP_READ_TIMEOUT", "1s",
                    "SUBMISSION_SMTP_DATA_TIMEOUT", "2s", "SUBMISSION_RETRY_DELAYS", "100ms,200ms,400ms",
                    "SUBMISSION_BREAKER_OPEN_DURATION", "2s", "SUBMISSION_ATTEMPTS_ENABLED", "false",
                    "QUARKUS_LOG_CATEGORY__IO_SUBMISSIONROUTER__LEVEL", "WARN"));
            router.start();
            System.out.printf("soak: %d jobs; chaos per connection: cut %.0f%%, hang %.0f%%; per message: 451 %.0f%%, "
                    + "drop after the dot %.0f%%%n", jobs, chaos.cut() * 100, chaos.hang() * 100,
                    chaos.transient451() * 100, chaos.dropAfterDot() * 100);
            Instant start = Instant.now();
            for (int i = 1; i <= jobs; i++) {
                String jobId = "soak-" + i;
                client.sendJob(jobId, Jobs.json(Jobs.job(jobId)));
            }
            Instant end = start.plus(deadline);
            while (distinctResults(client) < jobs && Instant.now().isBefore(end)) {
                Thread.sleep(1000);
            }
            Duration took = Duration.between(start, Instant.now());
            router.terminate(Duration.ofSeconds(60));
            report(client, jobs, took, primary, fallback);
        }
    }

    private static long distinctResults(KafkaTestClient client) {
        return client.all("email.results").stream().map(r -> new String(r.key())).distinct().count();
    }

    private static void report(KafkaTestClient client, int jobs, Duration took, TestSmtpServer... servers)
            throws Exception {
        Map<String, JsonNode> firstResult = new HashMap<>();
        client.all("email.results").forEach(r -> firstResult.putIfAbsent(new String(r.key()), KafkaTestClient.json(r)));
        Map<String, Integer> byStatus = new TreeMap<>();
        firstResult.values().forEach(r -> byStatus.merge(r.path("status").asText(), 1, Integer::sum));
        long possibleDuplicate = firstResult.values().stream().filter(r -> r.path("possibleDuplicate").asBoolean()).count();
        Map<String, Integer> copies = new HashMap<>();
        Session session = Session.getInstance(new Properties());
        for (TestSmtpServer server : servers) {
            for (TestSmtpServer.Received r : server.received()) {
                copies.merge(new MimeMessage(session, new ByteArrayInputStream(r.data())).getMessageID(), 1, Integer::sum);
            }
        }
        int lost = 0;
        int sentTwice = 0;
        int unflagged = 0;
        for (int i = 1; i <= jobs; i++) {
            String jobId = "soak-" + i;
            if (!firstResult.containsKey(jobId)) {
                lost++;
            }
            int extra = Math.max(0, copies.getOrDefault(MessageIds.of(jobId, "router.test"), 0) - 1);
            sentTwice += extra;
            if (extra > 0 && (!firstResult.containsKey(jobId) || !firstResult.get(jobId).path("possibleDuplicate").asBoolean())) {
                unflagged++;
            }
        }
        System.out.printf("%nsoak finished in %ds (%.1f jobs/s)%n", took.toSeconds(), jobs / Math.max(1.0, took.toMillis() / 1000.0));
        System.out.printf("jobs: %d, lost (no result): %d%n", jobs, lost);
        System.out.printf("results by status: %s; flagged possibleDuplicate: %d%n", byStatus, possibleDuplicate);
        System.out.printf("dead letters: %d%n", client.all("email.dlq").size());
        System.out.printf("messages received more than once: %d (same Message-ID; after a drop after the dot)%n", sentTwice);
        System.out.printf("jobs received more than once without possibleDuplicate in their result: %d%n", unflagged);
        if (lost > 0) {
            throw new IllegalStateException(lost + " jobs lost");
        }
    }
}
