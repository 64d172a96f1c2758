package io.submissionrouter.demo;

import com.fasterxml.jackson.databind.JsonNode;
import io.submissionrouter.testing.EmbeddedKafka;
import io.submissionrouter.testing.Jobs;
import io.submissionrouter.testing.KafkaTestClient;
import io.submissionrouter.testing.RouterProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Run by {@code bench/real-mta-relays.sh}: the packaged router, configured by environment variables only,
 * against Postfix on 127.0.0.1: the default group on 587 (fallback 2525, STARTTLS) and a {@code bulk} group on
 * 465 (TLS from the first byte) at 5 messages per second; then an operator suspends and resumes the default
 * group's primary. Prints where each job went and when.
 */
public final class RealMtaRelays {

    private static final String TOKEN = "demo-admin-token-Gm4Rx7Lp1Hz9Bw3Kt6";

    private RealMtaRelays() {
    }

    public static void main(String[] args) throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            kafka.createTopic("email.jobs", 4); // as a jobs topic for 4 consumers would have
            Map<String, String> env = new TreeMap<>(Map.of(
                    "SUBMISSION_RELAYS_BULK_PRIMARY_HOST", "127.0.0.1",
                    "SUBMISSION_RELAYS_BULK_PRIMARY_PORT", "465",
                    "SUBMISSION_RELAYS_BULK_PRIMARY_TLS", "implicit",
                    "SUBMISSION_RELAYS_BULK_USERNAME", "router",
                    "SUBMISSION_RELAYS_BULK_PASSWORD", System.getenv().getOrDefault("MTA_PASSWORD", "mta-Pa55word"),
                    "SUBMISSION_RELAYS_BULK_RATE_LIMIT", "5",
                    "SUBMISSION_ADMIN_TOKEN", TOKEN,
                    "SUBMISSION_DNS_MX_CHECK", "off")); // the local MTA takes every domain; no DNS on loopback
            env.forEach((k, v) -> System.out.println(k + "=" + (k.endsWith("PASSWORD") || k.endsWith("TOKEN") ? "***" : v)));
            RouterProcess router = RouterProcess.forLocalMta(kafka, env, Path.of("target/real-mta-relays-router.log"));
            router.start();
            try (KafkaTestClient client = new KafkaTestClient(kafka.bootstrapServers(),
                    List.of("email.results", "email.attempts", "email.dlq"))) {
                Instant start = Instant.now();
                List<String> bulk = send(client, "bulk", 20);
                List<String> transactional = send(client, "default", 5);
                report(client, transactional, start, "default jobs, sent alongside the bulk ones");
                report(client, bulk, start, "bulk jobs, 20 at 5 per second");

                System.out.println(router.post("/admin/endpoints/default/primary/suspend?for=1h", TOKEN).body());
                report(client, send(client, "default", 3), Instant.now(), "default jobs while 587 is suspended");
                System.out.println(router.get("/admin/endpoints", TOKEN));
                System.out.println(router.post("/admin/endpoints/default/primary/resume", TOKEN).body());
                report(client, send(client, "default", 3), Instant.now(), "default jobs after resume");
                String metrics = router.get("/q/metrics", null);
                metrics.lines().filter(l -> l.startsWith("submission_breaker_state") || l.startsWith("submission_rate_limit")
                        || l.startsWith("submission_endpoint_control_total")).forEach(System.out::println);
            } finally {
                router.terminate(Duration.ofSeconds(60));
            }
        }
    }

    private static List<String> send(KafkaTestClient client, String relay, int n) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String jobId = Jobs.newJobId("mta-" + relay);
            client.sendJob(jobId, Jobs.json(Jobs.job(jobId).put("relay", relay)));
            ids.add(jobId);
        }
        return ids;
    }

    private static void report(KafkaTestClient client, List<String> ids, Instant start, String what) {
        System.out.println("-- " + what);
        long first = Long.MAX_VALUE;
        long last = 0;
        for (String id : ids) {
            JsonNode r = client.awaitResult(id, Duration.ofSeconds(120));
            long ms = Duration.between(start, Instant.parse(r.path("completedAt").asText())).toMillis();
            first = Math.min(first, ms);
            last = Math.max(last, ms);
            System.out.printf("%-52s %-5s via %s:%s after %5d ms  %s%n", id, r.path("status").asText(),
                    r.path("endpoint").path("name").asText(), r.path("endpoint").path("port").asText(), ms,
                    r.path("smtpReply").asText());
        }
        System.out.printf("   results from %d ms to %d ms after the first job was sent%n", first, last);
    }
}
