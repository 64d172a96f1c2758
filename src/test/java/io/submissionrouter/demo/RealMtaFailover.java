package io.submissionrouter.demo;

import com.fasterxml.jackson.databind.JsonNode;
import io.submissionrouter.testing.EmbeddedKafka;
import io.submissionrouter.testing.Jobs;
import io.submissionrouter.testing.KafkaTestClient;
import java.io.File;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Run by {@code bench/real-mta-failover.sh}: the packaged router, configured only through environment
 * variables, against a real MTA on 127.0.0.1 (Postfix with STARTTLS required and SASL AUTH on 587 and 2525).
 * Connections to 587 are refused (iptables), then dropped, then let through again; every job is reported with
 * the endpoint that took it, and the time from 587 going dark to the result.
 */
public final class RealMtaFailover {

    private RealMtaFailover() {
    }

    public static void main(String[] args) throws Exception {
        String password = System.getenv().getOrDefault("MTA_PASSWORD", "mta-Pa55word");
        String ca = System.getenv().getOrDefault("MTA_CA_PEM", "src/test/resources/tls/smtp-ca.pem");
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            ProcessBuilder pb = new ProcessBuilder("java", "-jar", "target/quarkus-app/quarkus-run.jar");
            Map<String, String> env = pb.environment();
            env.put("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
            env.put("QUARKUS_HTTP_PORT", "18080");
            env.put("QUARKUS_MANAGEMENT_PORT", "19000");
            env.put("SUBMISSION_SMTP_PRIMARY_HOST", "127.0.0.1");
            env.put("SUBMISSION_SMTP_USERNAME", "router");
            env.put("SUBMISSION_SMTP_PASSWORD", password);
            env.put("SUBMISSION_SMTP_TRUST_PEM", ca);
            env.put("SUBMISSION_BREAKER_OPEN_DURATION", "5s");
            env.put("SUBMISSION_MESSAGE_ID_DOMAIN", "mta.test");
            env.put("SUBMISSION_DNS_MX_CHECK", "off"); // the local MTA takes every domain; no DNS on loopback
            pb.redirectErrorStream(true).redirectOutput(new File("target/real-mta-router.log"));
            Process router = pb.start();
            try (KafkaTestClient client = new KafkaTestClient(kafka.bootstrapServers(),
                    List.of("email.results", "email.attempts", "email.dlq"))) {
                Thread.sleep(8000);
                report(client, send(client, "mta-up-1"), null);
                firewall("-A", "REJECT --reject-with tcp-reset");
                Instant dark = Instant.now();
                report(client, send(client, "mta-refused-1"), dark);
                firewall("-D", "REJECT --reject-with tcp-reset");
                firewall("-A", "DROP");
                dark = Instant.now();
                report(client, send(client, "mta-dropped-1"), dark);
                for (int i = 2; i <= 6; i++) {
                    report(client, send(client, "mta-dropped-" + i), null);
                }
                firewall("-D", "DROP");
                Thread.sleep(8000); // open-duration 5s, then a probe session closes the breaker
                report(client, send(client, "mta-back-1"), null);
            } finally {
                router.destroy();
                router.waitFor();
            }
        }
    }

    private static JsonNode send(KafkaTestClient client, String jobId) {
        client.sendJob(jobId, Jobs.json(Jobs.job(jobId)));
        return client.awaitResult(jobId, Duration.ofSeconds(60));
    }

    private static void firewall(String op, String target) throws IOException, InterruptedException {
        new ProcessBuilder("bash", "-c", "iptables " + op + " INPUT -i lo -p tcp --dport 587 -j " + target)
                .inheritIO().start().waitFor();
    }

    private static void report(KafkaTestClient client, JsonNode r, Instant dark) {
        String sessions = client.attempts(r.path("jobId").asText()).stream()
                .map(a -> a.path("endpoint").path("port").asText() + ":" + a.path("outcome").asText() + "("
                        + a.path("step").asText() + "," + a.path("durationMs").asText() + "ms)")
                .collect(Collectors.joining(" "));
        System.out.printf("%-14s %-5s via %-5s %s | %s%s%n", r.path("jobId").asText(), r.path("status").asText(),
                r.path("endpoint").path("port").asText(), r.path("smtpReply").asText(), sessions,
                dark == null ? "" : " | 587 dark -> result " + Duration.between(dark, Instant.now()).toMillis() + " ms");
    }
}
