package io.submissionrouter.process;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.UUID;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.IntStream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The packaged router as a separate process, killed mid-stream and restarted, or facing a broker restart:
 * every job is delivered and accounted for by a result; messages sent twice are bounded by what was in
 * flight (CONTRACT 8.3: at most submission.concurrency.in-flight jobs per intake consumer, whatever the partitions;
 * a job whose completion record was written before the kill is reported DUPLICATE, not sent again), and none after
 * SIGTERM. The jobs' final dot is answered after {@value #DOT_MILLIS} ms, as a provider a few round trips away would,
 * so that the router is killed with its jobs in flight rather than between them.
 */
class CrashRecoveryProcessIT {

    private static final int JOBS = 200;
    private static final int PARTITIONS = 4;
    /** Jobs in flight at once, per intake consumer (submission.concurrency.in-flight, default 32). */
    private static final int IN_FLIGHT = 32;
    /** How long the test server takes to answer each job's final dot (fault slow-dot-N). */
    private static final int DOT_MILLIS = 2000;
    private static final Path LOG = Path.of("target/process-it-router.log");
    private static EmbeddedKafka kafka;
    private static TestSmtpServer primary;
    private static TestSmtpServer fallback;
    private static KafkaTestClient client;
    private static RouterProcess router;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafka.start();
        kafka.createTopic("email.jobs", PARTITIONS);
        primary = TestSmtpServer.start("primary");
        fallback = TestSmtpServer.start("fallback");
        client = new KafkaTestClient(kafka.bootstrapServers(), List.of("email.results", "email.attempts", "email.dlq"));
        router = new RouterProcess(kafka, primary, fallback, LOG, Map.of("SUBMISSION_RETRY_DELAYS", "1s,2s"));
    }

    /** A failed test must not leave its router running into the next one. */
    @AfterEach
    void stopRouter() throws InterruptedException {
        if (router.isAlive()) {
            router.kill();
        }
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (router.isAlive()) {
            router.kill();
        }
        client.close();
        primary.close();
        fallback.close();
        kafka.close();
    }

    @Test
    void losesNoJobWhenKilledWithSigkillMidStreamAndResendsAtMostTheJobsInFlight() throws Exception {
        List<String> jobIds = jobIds("kill");
        router.start();
        jobIds.forEach(id -> client.sendJob(id, Jobs.json(slow(id))));
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> resultsFor(jobIds) >= JOBS / 4);
        router.kill();
        assertThat(resultsFor(jobIds)).isLessThan(JOBS); // killed mid-stream

        router.start();
        Awaitility.await().atMost(Duration.ofSeconds(120)).until(() -> everyJobHasAResult(jobIds));
        int duplicates = sentTwice(jobIds);
        int recovered = 0;
        for (String jobId : jobIds) {
            List<JsonNode> results = client.on("email.results", jobId).stream().map(KafkaTestClient::json).toList();
            // killed between the completion record and the result: after the restart the job's result is
            // DUPLICATE of the SENT original, and nothing is sent again
            assertThat(results).allMatch(r -> r.path("status").asText().equals("SENT")
                    || (r.path("status").asText().equals("DUPLICATE") && r.path("originalStatus").asText().equals("SENT")));
            if (results.get(0).path("status").asText().equals("DUPLICATE")) {
                recovered++;
            }
        }
        System.out.printf("SIGKILL: %d jobs, %d messages sent twice, %d reported DUPLICATE of their SENT original%n",
                JOBS, duplicates, recovered);
        assertThat(recovered).isLessThanOrEqualTo(IN_FLIGHT);
        assertThat(duplicates).isLessThanOrEqualTo(IN_FLIGHT);
        router.terminate(Duration.ofSeconds(60));
    }

    @Test
    void losesNothingAndSendsNothingTwiceWhenStoppedWithSigterm() throws Exception {
        List<String> jobIds = jobIds("term");
        router.start();
        jobIds.forEach(id -> client.sendJob(id, Jobs.json(slow(id))));
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> resultsFor(jobIds) >= JOBS / 4);
        long stopsBefore = gracefulStops();
        // 143 = 128 + SIGTERM: what a JVM stopped by the signal reports, after its shutdown hooks ran
        assertThat(router.terminate(Duration.ofSeconds(60))).isIn(0, 143);
        assertThat(gracefulStops()).isEqualTo(stopsBefore + 1);
        assertThat(resultsFor(jobIds)).isLessThan(JOBS);

        router.start();
        Awaitility.await().atMost(Duration.ofSeconds(120)).until(() -> everyJobHasAResult(jobIds));
        Map<String, Integer> copies = copiesByMessageId();
        for (String jobId : jobIds) {
            assertThat(copies.get(MessageIds.of(jobId, "router.test"))).as("copies of %s", jobId).isEqualTo(1);
            assertThat(client.on("email.results", jobId)).hasSize(1);
        }
        router.terminate(Duration.ofSeconds(60));
    }

    /** Quarkus logs "stopped in" once its graceful shutdown (Camel's included) completed. */
    private static long gracefulStops() throws java.io.IOException {
        return java.nio.file.Files.readAllLines(LOG).stream().filter(l -> l.contains("smtp-submission-router stopped in"))
                .count();
    }

    @Test
    void losesNoJobWaitingInARetryTierWhenKilledWithSigkill() throws Exception {
        List<String> jobIds = jobIds("tier").subList(0, JOBS / 4);
        router.start();
        // every job is answered 451 once: each goes through the 1s tier before it is sent
        jobIds.forEach(id -> client.sendJob(id, Jobs.json(Jobs.withFault(id, "data-451-once"))));
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> resultsFor(jobIds) >= jobIds.size() / 4);
        router.kill();
        assertThat(resultsFor(jobIds)).isLessThan(jobIds.size());

        router.start();
        Awaitility.await().atMost(Duration.ofSeconds(120)).until(() -> everyJobHasAResult(jobIds));
        int duplicates = sentTwice(jobIds);
        for (String jobId : jobIds) {
            assertThat(client.on("email.results", jobId)).extracting(r -> KafkaTestClient.json(r).path("status").asText())
                    .as("results of %s", jobId).isNotEmpty().isSubsetOf("SENT", "DUPLICATE");
        }
        System.out.printf("SIGKILL with jobs in a retry tier: %d jobs, %d messages sent twice%n", jobIds.size(),
                duplicates);
        assertThat(duplicates).isLessThanOrEqualTo(IN_FLIGHT);
        router.terminate(Duration.ofSeconds(60));
    }

    @Test
    void waitsOutABrokerRestartNotReadyMeanwhileWithoutLosingAJob() throws Exception {
        List<String> jobIds = jobIds("broker");
        router.start();
        jobIds.forEach(id -> client.sendJob(id, Jobs.json(Jobs.job(id))));
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> resultsFor(jobIds) >= JOBS / 4);
        kafka.stopBroker();
        Instant stopped = Instant.now();
        // CONTRACT 7: not ready while Kafka is unreachable, and still live (restarting would not help)
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> router.status("/q/health/ready") == 503);
        assertThat(router.status("/q/health/live")).isEqualTo(200);
        Thread.sleep(Math.max(0, 10_000 - Duration.between(stopped, Instant.now()).toMillis()));
        assertThat(router.isAlive()).isTrue();
        kafka.startBroker();
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> router.status("/q/health/ready") == 200);

        Awaitility.await().atMost(Duration.ofSeconds(180)).until(() -> everyJobHasAResult(jobIds));
        int duplicates = sentTwice(jobIds);
        System.out.printf("broker restart: %d jobs, %d messages sent twice%n", JOBS, duplicates);
        assertThat(duplicates).isLessThanOrEqualTo(IN_FLIGHT);
        router.terminate(Duration.ofSeconds(60));
    }

    @Test
    void logsOneJsonLinePerJobOutcomeWithItsFieldsAndNoSecret() throws Exception {
        String jobId = "log-" + UUID.randomUUID();
        String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        router.start();
        client.send("email.jobs", jobId.getBytes(StandardCharsets.UTF_8),
                Jobs.json(Jobs.job(jobId)).getBytes(StandardCharsets.UTF_8),
                Map.of("traceparent", "00-" + traceId + "-00f067aa0ba902b7-01"));
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> !client.on("email.results", jobId).isEmpty());
        router.terminate(Duration.ofSeconds(60));

        // the packaged router runs in the prod profile: its log lines are JSON objects (the JVM's own
        // warnings on stderr, and this test's start markers, are not)
        List<String> lines = Files.readAllLines(LOG);
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> jobLines = new ArrayList<>();
        for (String line : lines.stream().filter(l -> l.startsWith("{")).toList()) {
            JsonNode entry = json.readTree(line);
            assertThat(entry.path("level").asText()).isNotEmpty();
            if (entry.at("/mdc/jobId").asText().equals(jobId)) {
                jobLines.add(entry);
            }
        }
        assertThat(jobLines).singleElement().satisfies(entry -> {
            JsonNode mdc = entry.path("mdc");
            assertThat(mdc.path("status").asText()).isEqualTo("SENT");
            assertThat(mdc.path("relay").asText()).isEqualTo("default");
            assertThat(mdc.path("endpoint").asText()).isEqualTo("primary");
            assertThat(mdc.path("attempt").asText()).isEqualTo("1");
            assertThat(mdc.path("durationMs").asLong()).isPositive();
            assertThat(mdc.path("traceId").asText()).isEqualTo(traceId);
        });
        String all = String.join("\n", lines);
        assertThat(all).doesNotContain(TestSmtpServer.PASSWORD).doesNotContain(Jobs.job(jobId).path("text").asText());
    }

    /** A job whose final dot the test server answers after {@value #DOT_MILLIS} ms. */
    private static com.fasterxml.jackson.databind.node.ObjectNode slow(String jobId) {
        return Jobs.withFault(jobId, "slow-dot-" + DOT_MILLIS);
    }

    private static List<String> jobIds(String run) {
        return new ArrayList<>(IntStream.rangeClosed(1, JOBS).mapToObj(i -> run + "-" + i).toList());
    }

    private static long resultsFor(List<String> jobIds) {
        return jobIds.stream().filter(id -> !client.on("email.results", id).isEmpty()).count();
    }

    private static boolean everyJobHasAResult(List<String> jobIds) {
        return resultsFor(jobIds) == jobIds.size();
    }

    /** Asserts every job reached the server at least once; returns how many copies were extra. */
    private static int sentTwice(List<String> jobIds) throws Exception {
        Map<String, Integer> copies = copiesByMessageId();
        int duplicates = 0;
        for (String jobId : jobIds) {
            int n = copies.getOrDefault(MessageIds.of(jobId, "router.test"), 0);
            assertThat(n).as("copies of %s received", jobId).isGreaterThanOrEqualTo(1);
            duplicates += n - 1;
        }
        return duplicates;
    }

    private static Map<String, Integer> copiesByMessageId() throws Exception {
        Map<String, Integer> copies = new HashMap<>();
        Session session = Session.getInstance(new Properties());
        for (TestSmtpServer.Received r : primary.received()) {
            String id = new MimeMessage(session, new ByteArrayInputStream(r.data())).getMessageID();
            copies.merge(id, 1, Integer::sum);
        }
        return copies;
    }
}
