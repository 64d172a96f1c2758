package io.submissionrouter.process;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.submissionrouter.testing.EmbeddedKafka;
import io.submissionrouter.testing.Jobs;
import io.submissionrouter.testing.KafkaTestClient;
import io.submissionrouter.testing.RouterProcess;
import io.submissionrouter.testing.TestSmtpServer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two replicas of the packaged router, configured as a platform team would, by environment variables only
 * (the {@code bulk} group included): the bulk group's rate limit is shared by the replicas by their partitions,
 * and an operator's suspend and resume, taken by either replica, holds in both, and in a replica started later.
 */
class TrafficControlProcessIT {

    private static final int PARTITIONS = 4;
    private static final double BULK_RATE = 10;
    private static final String TOKEN = "process-admin-token-Fj5Tn8Qw2Ks6Yc9Dv";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static EmbeddedKafka kafka;
    private static TestSmtpServer primary;
    private static TestSmtpServer fallback;
    private static TestSmtpServer bulk;
    private static KafkaTestClient client;
    private static RouterProcess a;
    private static RouterProcess b;

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.start();
        kafka.createTopic("email.jobs", PARTITIONS);
        primary = TestSmtpServer.start("primary");
        fallback = TestSmtpServer.start("fallback");
        bulk = TestSmtpServer.start("bulk");
        client = new KafkaTestClient(kafka.bootstrapServers(), List.of("email.results", "email.attempts", "email.dlq"));
        a = replica("a");
        b = replica("b");
        a.start();
        b.start();
    }

    private static RouterProcess replica(String name) {
        Map<String, String> env = new HashMap<>();
        env.put("SUBMISSION_ADMIN_TOKEN", TOKEN);
        // two intake consumers each: the four partitions split two and two
        env.put("SUBMISSION_CONCURRENCY_CONSUMERS", "2");
        env.put("SUBMISSION_RELAYS_BULK_PRIMARY_HOST", "127.0.0.1");
        env.put("SUBMISSION_RELAYS_BULK_PRIMARY_PORT", String.valueOf(bulk.port()));
        env.put("SUBMISSION_RELAYS_BULK_FALLBACK_PORT", String.valueOf(bulk.port()));
        env.put("SUBMISSION_RELAYS_BULK_USERNAME", TestSmtpServer.USER);
        env.put("SUBMISSION_RELAYS_BULK_PASSWORD", TestSmtpServer.PASSWORD);
        env.put("SUBMISSION_RELAYS_BULK_RATE_LIMIT", String.valueOf(BULK_RATE));
        return new RouterProcess(kafka, primary, fallback, Path.of("target/process-it-replica-" + name + ".log"), env);
    }

    @AfterAll
    static void stop() throws InterruptedException {
        for (RouterProcess r : new RouterProcess[] {a, b}) {
            if (r != null && r.isAlive()) {
                r.kill();
            }
        }
        client.close();
        primary.close();
        fallback.close();
        bulk.close();
        kafka.close();
    }

    @Test
    void theBulkGroupsRateLimitIsSharedByTheReplicasAndHeldAcrossThem() throws Exception {
        Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                assertThat(List.of(rate(a, "bulk"), rate(b, "bulk"))).containsExactly(BULK_RATE / 2, BULK_RATE / 2));
        assertThat(rate(a, "default")).isInfinite();

        int jobs = 40;
        int toPrimary = primary.received().size();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < jobs; i++) {
            String jobId = Jobs.newJobId("bulk-" + i);
            client.sendJob(jobId, Jobs.json(Jobs.job(jobId).put("relay", "bulk")));
            ids.add(jobId);
        }
        for (String id : ids) {
            JsonNode r = client.awaitResult(id, Duration.ofSeconds(60));
            assertThat(r.path("status").asText()).isEqualTo("SENT");
            assertThat(r.path("endpoint").path("port").asInt()).isEqualTo(bulk.port());
        }
        List<Instant> at = bulk.received().stream().map(TestSmtpServer.Received::at).sorted(Comparator.naturalOrder())
                .toList();
        assertThat(at).hasSize(jobs);
        // two replicas at 5 per second each: 40 messages take at least (40 - 2) / 10 s
        assertThat(Duration.between(at.get(0), at.get(jobs - 1))).isGreaterThanOrEqualTo(Duration.ofMillis(3_500));
        assertThat(primary.received()).hasSize(toPrimary); // nothing of bulk's went to the default group
    }

    @Test
    void anOperatorsSuspendAndResumeHoldInEveryReplicaAndInOneStartedLater() throws Exception {
        assertThat(a.post("/admin/endpoints/default/primary/suspend?for=10m", null).statusCode()).isEqualTo(401);
        assertThat(b.post("/admin/endpoints/default/primary/suspend?for=10m", "wrong").statusCode()).isEqualTo(401);

        assertThat(a.post("/admin/endpoints/default/primary/suspend?for=10m", TOKEN).statusCode()).isEqualTo(200);
        for (RouterProcess r : new RouterProcess[] {a, b}) {
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> state(r, "default", "primary").equals("suspended"));
            assertThat(r.get("/q/metrics", null))
                    .contains("submission_breaker_state{endpoint=\"primary\",relay=\"default\"} 3.0");
        }
        int before = primary.received().size();
        for (JsonNode r : sendDefault("while-suspended", 16)) {
            assertThat(r.path("status").asText()).isEqualTo("SENT");
            assertThat(r.path("endpoint").path("name").asText()).isEqualTo("fallback");
        }
        assertThat(primary.received()).hasSize(before);

        // a replica that starts while the suspension holds reads it before its first job
        b.terminate(Duration.ofSeconds(60));
        b = replica("b2");
        b.start();
        assertThat(state(b, "default", "primary")).isEqualTo("suspended");

        assertThat(b.post("/admin/endpoints/default/primary/resume", TOKEN).statusCode()).isEqualTo(200);
        for (RouterProcess r : new RouterProcess[] {a, b}) {
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> state(r, "default", "primary").equals("closed"));
        }
        for (JsonNode r : sendDefault("resumed", 16)) {
            assertThat(r.path("endpoint").path("name").asText()).isEqualTo("primary");
        }
        assertThat(a.get("/q/metrics", null))
                .contains("submission_breaker_state{endpoint=\"primary\",relay=\"default\"} 0.0");
    }

    private static List<JsonNode> sendDefault(String prefix, int n) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String jobId = Jobs.newJobId(prefix);
            client.sendJob(jobId, Jobs.json(Jobs.job(jobId)));
            ids.add(jobId);
        }
        return ids.stream().map(id -> client.awaitResult(id, Duration.ofSeconds(60))).toList();
    }

    private static String state(RouterProcess r, String relay, String endpoint) throws Exception {
        for (JsonNode e : JSON.readTree(r.get("/admin/endpoints", TOKEN))) {
            if (e.path("relay").asText().equals(relay) && e.path("endpoint").asText().equals(endpoint)) {
                return e.path("state").asText();
            }
        }
        throw new AssertionError("no endpoint " + relay + "/" + endpoint);
    }

    private static double rate(RouterProcess r, String relay) throws Exception {
        Matcher m = Pattern.compile("(?m)^submission_rate_limit\\{relay=\"" + relay + "\"} (\\S+)$")
                .matcher(r.get("/q/metrics", null));
        if (!m.find()) {
            return Double.NaN;
        }
        return m.group(1).equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(m.group(1));
    }
}
