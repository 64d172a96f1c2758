package io.submissionrouter.demo;

import com.fasterxml.jackson.databind.JsonNode;
import io.submissionrouter.testing.EmbeddedKafka;
import io.submissionrouter.testing.Jobs;
import io.submissionrouter.testing.KafkaTestClient;
import io.submissionrouter.testing.TestSmtpServer;
import io.submissionrouter.testing.TestSmtpServer.Mode;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The README's demo: an embedded Kafka broker and two embedded submission servers (STARTTLS and AUTH)
 * on loopback ports, and the packaged router ({@code target/quarkus-app/quarkus-run.jar}) as a separate
 * process, configured only through the contract's environment variables. It feeds jobs, takes the
 * "587" server down midway and brings it back, and prints what happened.
 */
public final class DemoMain {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Pattern BREAKER = Pattern.compile(
            "submission_breaker_state\\{endpoint=\"(\\w+)\",relay=\"default\"} (\\d)");

    private DemoMain() {
    }

    public static void main(String[] args) throws Exception {
        Path jar = Path.of("target/quarkus-app/quarkus-run.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException("build the router first: " + jar + " is missing");
        }
        say("Starting an embedded Kafka broker (KRaft) and two SMTP submission servers (STARTTLS + AUTH)...");
        try (EmbeddedKafka kafka = EmbeddedKafka.start();
                TestSmtpServer primary = TestSmtpServer.start("primary");
                TestSmtpServer fallback = TestSmtpServer.start("fallback")) {
            say("  Kafka at %s; \"587\" (primary) on 127.0.0.1:%d; \"2525\" (fallback) on 127.0.0.1:%d",
                    kafka.bootstrapServers(), primary.port(), fallback.port());
            int managementPort = freePort();
            Process router = startRouter(jar, kafka, primary, fallback, managementPort);
            try (KafkaTestClient client = new KafkaTestClient(kafka.bootstrapServers(),
                    List.of("email.results", "email.attempts", "email.dlq"))) {
                awaitReady(managementPort, router);
                List<String> jobs = new ArrayList<>();
                phase("Phase 1: both endpoints up", managementPort);
                jobs.addAll(feed(client, "before", 4));
                awaitResults(client, jobs);

                phase("Phase 2: \"587\" goes dark (connections refused)", managementPort);
                primary.mode(Mode.REFUSE);
                Instant dark = Instant.now();
                List<String> during = feed(client, "during", 6);
                jobs.addAll(during);
                awaitResults(client, jobs);
                Instant firstFallback = fallback.received().get(0).at();
                say("  first job served by \"2525\" %d ms after \"587\" went dark",
                        Duration.between(dark, firstFallback).toMillis());
                breakers(managementPort);

                phase("Phase 3: \"587\" comes back; a probe closes its breaker", managementPort);
                primary.mode(Mode.UP);
                awaitBreakerClosed(managementPort, "primary");
                breakers(managementPort);
                jobs.addAll(feed(client, "after", 4));
                awaitResults(client, jobs);

                phase("Phase 4: bad input (INVALID + dead letter, the pipeline goes on)", managementPort);
                client.sendJob("demo-bad-json", "{\"jobId\": \"demo-bad-json\", oops");
                jobs.add("demo-bad-json");
                awaitResults(client, jobs);

                report(client, jobs);
                say("%nMessages received: \"587\" %d, \"2525\" %d; dead letters: %d. Router log: target/demo-router.log",
                        primary.received().size(), fallback.received().size(), client.all("email.dlq").size());
            } finally {
                router.destroy();
                router.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    private static Process startRouter(Path jar, EmbeddedKafka kafka, TestSmtpServer primary, TestSmtpServer fallback,
            int managementPort) throws IOException {
        Path pem = Files.createTempFile("demo-ca", ".pem");
        try (InputStream in = DemoMain.class.getResourceAsStream("/tls/smtp-ca.pem")) {
            Files.copy(in, pem, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toString());
        Map<String, String> env = pb.environment();
        env.put("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
        // health and metrics are on Quarkus' management interface; the demo reads only those
        env.put("QUARKUS_MANAGEMENT_PORT", String.valueOf(managementPort));
        env.put("QUARKUS_HTTP_PORT", String.valueOf(freePort()));
        env.put("SUBMISSION_SMTP_PRIMARY_HOST", "127.0.0.1");
        env.put("SUBMISSION_SMTP_PRIMARY_PORT", String.valueOf(primary.port()));
        env.put("SUBMISSION_SMTP_FALLBACK_PORT", String.valueOf(fallback.port()));
        env.put("SUBMISSION_SMTP_USERNAME", TestSmtpServer.USER);
        env.put("SUBMISSION_SMTP_PASSWORD", TestSmtpServer.PASSWORD);
        env.put("SUBMISSION_SMTP_TRUST_PEM", pem.toString());
        env.put("SUBMISSION_SMTP_CONNECT_TIMEOUT", "2s");
        env.put("SUBMISSION_BREAKER_WINDOW", "4");
        env.put("SUBMISSION_BREAKER_OPEN_DURATION", "3s");
        env.put("SUBMISSION_MESSAGE_ID_DOMAIN", "demo.example");
        // the demo's recipients are on example.org, whose real DNS publishes a null MX: no DNS check here
        env.put("SUBMISSION_DNS_MX_CHECK", "off");
        Path log = Path.of("target/demo-router.log");
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        say("Starting the packaged router: java -jar %s (configured by environment variables only)", jar);
        return pb.start();
    }

    private static List<String> feed(KafkaTestClient client, String phase, int count) {
        List<String> ids = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            String jobId = "demo-" + phase + "-" + i;
            client.sendJob(jobId, Jobs.json(Jobs.job(jobId)));
            ids.add(jobId);
        }
        say("  fed %d jobs", count);
        return ids;
    }

    private static void awaitResults(KafkaTestClient client, List<String> jobIds) throws InterruptedException {
        Instant deadline = Instant.now().plusSeconds(90);
        while (jobIds.stream().anyMatch(id -> client.on("email.results", id).isEmpty())) {
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("no result within 90 s; see target/demo-router.log");
            }
            Thread.sleep(100);
        }
    }

    private static void report(KafkaTestClient client, List<String> jobIds) {
        say("%n%-18s %-26s %-9s %-8s %s", "job", "status", "endpoint", "attempts", "sessions (endpoint:outcome)");
        for (String id : jobIds) {
            JsonNode r = KafkaTestClient.json(client.on("email.results", id).get(0));
            String path = client.attempts(id).stream()
                    .map(a -> a.path("endpoint").path("name").asText() + ":" + a.path("outcome").asText())
                    .collect(Collectors.joining(" -> "));
            String endpoint = r.path("endpoint").isNull() ? "-" : r.path("endpoint").path("name").asText();
            String status = r.path("status").asText()
                    + (r.path("error").isNull() ? "" : " (" + r.path("error").path("code").asText() + ")");
            say("%-18s %-26s %-9s %-8d %s", id, status, endpoint, r.path("attempts").asInt(), path);
        }
    }

    private static void phase(String title, int managementPort) {
        say("%n== %s", title);
    }

    private static void breakers(int managementPort) {
        String metrics = get(managementPort, "/q/metrics");
        Matcher m = BREAKER.matcher(metrics);
        List<String> states = new ArrayList<>();
        while (m.find()) {
            states.add(m.group(1) + "=" + List.of("closed", "half-open", "open", "suspended").get(Integer.parseInt(m.group(2))));
        }
        say("  breakers: %s", String.join(", ", states));
    }

    private static void awaitBreakerClosed(int managementPort, String endpoint) throws InterruptedException {
        Instant deadline = Instant.now().plusSeconds(60);
        while (!get(managementPort, "/q/metrics").contains("submission_breaker_state{endpoint=\"" + endpoint
                + "\",relay=\"default\"} 0.0")) {
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("the breaker of " + endpoint + " did not close");
            }
            Thread.sleep(200);
        }
    }

    private static void awaitReady(int managementPort, Process router) throws InterruptedException {
        Instant deadline = Instant.now().plusSeconds(60);
        while (true) {
            if (!router.isAlive()) {
                throw new IllegalStateException("the router exited; see target/demo-router.log");
            }
            try {
                if (HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/q/health/ready")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    say("  router ready (/q/health/ready is UP)");
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("the router did not get ready; see target/demo-router.log");
            }
            Thread.sleep(250);
        }
    }

    private static String get(int managementPort, String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + path)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void say(String format, Object... args) {
        System.out.println(String.format(format, args));
    }
}
