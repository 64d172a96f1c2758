package io.submissionrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.submissionrouter.relay.Breaker;
import io.submissionrouter.testing.AsyncApi;
import io.submissionrouter.testing.Jobs;
import io.submissionrouter.testing.KafkaTestClient;
import io.submissionrouter.testing.RouterTestBase;
import io.submissionrouter.testing.TestSmtpServer.Mode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** The primary (587) fails in every way a submission endpoint fails; jobs go to the fallback (2525) at once. */
@QuarkusTest
class FailoverTest extends RouterTestBase {

    @Test
    void fallsBackTo2525WhenPrimaryRefusesConnections() {
        primary().mode(Mode.REFUSE);
        Instant dark = Instant.now();
        JsonNode result = sendAndAwait("refused");
        assertServedByFallbackAfter(result, "connect", null);
        report("refused", dark);
    }

    @Test
    void fallsBackWhenConnectingToPrimaryTimesOut() {
        primary().mode(Mode.DROP);
        Instant dark = Instant.now();
        JsonNode result = sendAndAwait("dropped");
        assertServedByFallbackAfter(result, "connect", null);
        JsonNode first = kafka.attempts(result.path("jobId").asText()).get(0);
        assertThat(first.path("durationMs").asLong()).isGreaterThanOrEqualTo(900); // connect-timeout is 1s
        report("dropped", dark);
    }

    @Test
    void fallsBackWhenPrimaryAcceptsButNeverAnswers() {
        primary().mode(Mode.SILENT);
        JsonNode result = sendAndAwait("silent");
        assertServedByFallbackAfter(result, "greeting", null);
    }

    @Test
    void fallsBackWhenPrimaryGreetsWith421() {
        primary().mode(Mode.GREET_421);
        JsonNode result = sendAndAwait("greet421");
        assertServedByFallbackAfter(result, "greeting", 421);
    }

    @Test
    void fallsBackAndReportsConfigErrorWhenPrimaryRefusesAuth() {
        primary().authFails(true);
        JsonNode result = sendAndAwait("auth535");
        assertServedByFallbackAfter(result, "auth", 535);
        JsonNode first = kafka.attempts(result.path("jobId").asText()).get(0);
        assertThat(first.path("outcome").asText()).isEqualTo("config_error");
        String metrics = RestAssured.get("/q/metrics").asString();
        assertThat(metrics).containsPattern(
                "submission_smtp_attempts_total\\{[^}]*endpoint=\"primary\"[^}]*outcome=\"config_error\"[^}]*} [1-9]");
        assertNoCredentialAnywhere(result.path("jobId").asText());
    }

    /** Neither the password nor the AUTH PLAIN exchange in any log line, result, attempt event or metric. */
    private static void assertNoCredentialAnywhere(String jobId) {
        String password = io.submissionrouter.testing.TestSmtpServer.PASSWORD;
        String plain = java.util.Base64.getEncoder().encodeToString(("\0" + io.submissionrouter.testing.TestSmtpServer.USER
                + "\0" + password).getBytes(StandardCharsets.UTF_8));
        String log = Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> java.nio.file.Files.readString(
                java.nio.file.Path.of(io.submissionrouter.testing.RouterTestResources.LOG_FILE)), l -> l.contains(jobId));
        assertThat(log).contains("AUTH refused or impossible with default/primary").doesNotContain(password).doesNotContain(plain);
        for (String topic : List.of("email.results", "email.attempts")) {
            kafka.on(topic, jobId).forEach(r -> assertThat(new String(r.value(), StandardCharsets.UTF_8))
                    .doesNotContain(password).doesNotContain(plain));
        }
        assertThat(RestAssured.get("/q/metrics").asString()).doesNotContain(password);
    }

    @Test
    void neverSendsInPlaintextWhenPrimaryOffersNoStartTls() {
        primary().mode(Mode.NO_STARTTLS);
        JsonNode result = sendAndAwait("nostarttls");
        assertServedByFallbackAfter(result, "starttls", null);
        assertThat(primary().receivedInPlaintext()).isEmpty();
        assertThat(primary().received()).isEmpty();
    }

    @Test
    void primaryBreakerOpensSkipsThePrimaryAndAProbeBringsTrafficBack() {
        primary().mode(Mode.REFUSE);
        // window 4, failure ratio 0.5: two failed sessions open the breaker
        sendAndAwait("trip-1");
        sendAndAwait("trip-2");
        Awaitility.await().atMost(Duration.ofSeconds(5))
                .until(() -> endpoint("primary").breaker().stateCode() == Breaker.OPEN);
        assertThat(RestAssured.get("/q/metrics").asString())
                .contains("submission_breaker_state{endpoint=\"primary\",relay=\"default\"} 2.0");

        JsonNode skipped = sendAndAwait("while-open");
        List<JsonNode> attempts = kafka.attempts(skipped.path("jobId").asText());
        assertThat(attempts).extracting(a -> a.path("outcome").asText()).containsExactly("skipped_open", "sent");
        assertThat(attempts.get(0).path("endpoint").path("name").asText()).isEqualTo("primary");
        assertThat(attempts).allSatisfy(a -> assertThat(AsyncApi.validate("AttemptEvent", a)).isEmpty());
        assertThat(skipped.path("attempts").asInt()).isEqualTo(1);
        assertThat(skipped.path("endpoint").path("name").asText()).isEqualTo("fallback");

        primary().mode(Mode.UP);
        Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> endpoint("primary").breaker().stateCode() == Breaker.CLOSED);
        JsonNode back = sendAndAwait("back");
        assertThat(back.path("endpoint").path("name").asText()).isEqualTo("primary");
        assertThat(back.path("attempts").asInt()).isEqualTo(1);
    }

    @Test
    void parksTheGroupsJobsInItsWaitingTopicWhileBothEndpointsAreDownAndOtherGroupsKeepFlowing()
            throws InterruptedException {
        primary().mode(Mode.REFUSE);
        fallback().mode(Mode.REFUSE);
        List<String> jobIds = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String jobId = Jobs.newJobId("both-down");
            jobIds.add(jobId);
            kafka.sendJob(jobId, Jobs.json(Jobs.job(jobId)));
        }
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> jobIds.stream()
                .allMatch(id -> !kafka.on(WAIT_DEFAULT, id).isEmpty()));
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> !groups.mayAdmit("default"));

        // the bulk group has endpoints of its own and keeps flowing meanwhile, on the same partition
        String bulkJob = Jobs.newJobId("bulk-meanwhile");
        kafka.sendJob(bulkJob, Jobs.json(Jobs.job(bulkJob).put("relay", "bulk")));
        JsonNode bulkResult = kafka.awaitResult(bulkJob, Duration.ofSeconds(10));
        assertThat(bulkResult.path("status").asText()).isEqualTo("SENT");
        assertThat(bulkResult.path("relay").asText()).isEqualTo("bulk");
        assertThat(bulk().received()).hasSize(1);

        Thread.sleep(1000);
        assertThat(jobIds).allMatch(id -> kafka.on("email.results", id).isEmpty());
        assertThat(RestAssured.get("/q/health/ready").statusCode()).isEqualTo(200);
        // DOWN while both are open; every open-duration (2s) each breaker is half-open for the moment of its
        // probe, and the group reports UP then, so this waits for the open state rather than sampling once
        Awaitility.await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                .until(() -> RestAssured.get("/q/health/group/smtp").statusCode() == 503);

        fallback().mode(Mode.UP);
        for (String jobId : jobIds) {
            JsonNode result = kafka.awaitResult(jobId, Duration.ofSeconds(30));
            assertThat(result.path("status").asText()).isEqualTo("SENT");
            assertThat(result.path("endpoint").path("name").asText()).isEqualTo("fallback");
            assertThat(kafka.on("email.results", jobId)).hasSize(1);
            assertThat(KafkaTestClient.header(kafka.on(WAIT_DEFAULT, jobId).get(0), "source.topic"))
                    .isEqualTo("email.jobs");
        }
        // a job that found both breakers open went straight to waiting; one that failed on both endpoints before
        // they opened took a retry tier first (its delays grow, so a job-specific failure is not tried every few
        // seconds), and then waited too
        assertThat(jobIds).anyMatch(id -> kafka.on(RETRY_200MS, id).isEmpty());
        assertThat(fallback().received()).hasSize(3);
    }

    @Test
    void expiresAWaitingJobThatOutlivedMaxAge() {
        primary().mode(Mode.REFUSE);
        fallback().mode(Mode.REFUSE);
        String jobId = Jobs.newJobId("waited-too-long");
        kafka.send("email.jobs", jobId.getBytes(StandardCharsets.UTF_8),
                Jobs.json(Jobs.job(jobId)).getBytes(StandardCharsets.UTF_8), Map.of(),
                Instant.now().minus(Duration.ofHours(25)));
        JsonNode result = kafka.awaitResult(jobId, Duration.ofSeconds(30));
        assertThat(result.path("status").asText()).isEqualTo("FAILED");
        assertThat(result.path("error").path("code").asText()).isEqualTo("EXPIRED");
        assertThat(result.path("error").path("message").asText()).contains("relay group 'default'");
        assertThat(kafka.on("email.dlq", jobId)).hasSize(1);
        assertThat(kafka.on(WAIT_DEFAULT, jobId)).isEmpty();
    }

    private JsonNode sendAndAwait(String purpose) {
        String jobId = Jobs.newJobId(purpose);
        kafka.sendJob(jobId, Jobs.json(Jobs.job(jobId)));
        return kafka.awaitResult(jobId, Duration.ofSeconds(30));
    }

    private void assertServedByFallbackAfter(JsonNode result, String failedStep, Integer code) {
        String jobId = result.path("jobId").asText();
        assertThat(result.path("status").asText()).isEqualTo("SENT");
        assertThat(result.path("endpoint").path("name").asText()).isEqualTo("fallback");
        assertThat(result.path("endpoint").path("port").asInt()).isEqualTo(fallback().port());
        assertThat(result.path("attempts").asInt()).isEqualTo(2);
        List<JsonNode> attempts = kafka.attempts(jobId);
        assertThat(attempts).hasSize(2);
        JsonNode first = attempts.get(0);
        assertThat(first.path("endpoint").path("name").asText()).isEqualTo("primary");
        assertThat(first.path("outcome").asText()).isIn("endpoint_down", "config_error");
        assertThat(first.path("step").asText()).isEqualTo(failedStep);
        if (code == null) {
            assertThat(first.path("smtpCode").isNull()).isTrue();
        } else {
            assertThat(first.path("smtpCode").asInt()).isEqualTo(code);
        }
        assertThat(attempts.get(1).path("outcome").asText()).isEqualTo("sent");
        assertThat(attempts.get(1).path("endpoint").path("name").asText()).isEqualTo("fallback");
        assertThat(fallback().received()).hasSize(1);
        assertThat(primary().received()).isEmpty();
    }

    private static void report(String how, Instant dark) {
        Instant served = fallback().received().get(0).at();
        System.out.printf("FAILOVER %s: %d ms from 587 going dark to the first job served by 2525 (incl. Kafka)%n",
                how, Duration.between(dark, served).toMillis());
    }
}
