package io.submissionrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.submissionrouter.testing.AsyncApi;
import io.submissionrouter.testing.Jobs;
import io.submissionrouter.testing.KafkaTestClient;
import io.submissionrouter.testing.RouterTestBase;
import io.submissionrouter.testing.RouterTestResources;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The operator endpoints of CONTRACT 7 in one replica: bearer-token protection, the endpoint list, suspend
 * (traffic goes to the fallback, breaker state 3, a control record, a log line) and resume. Every replica
 * applying a command is CrossReplicaControlProcessIT's.
 */
@QuarkusTest
class EndpointControlTest extends RouterTestBase {

    private static final String TOKEN = "Bearer " + RouterTestResources.ADMIN_TOKEN;

    @Test
    void refusesCallsWithoutTheRightBearerToken() {
        int commands = kafka.all(CONTROL).size();
        for (String authorization : new String[] {null, "Bearer wrong", "Basic " + RouterTestResources.ADMIN_TOKEN,
                RouterTestResources.ADMIN_TOKEN, "Bearer "}) {
            assertThat(call(authorization).get("/admin/endpoints").statusCode()).as(authorization).isEqualTo(401);
            assertThat(call(authorization).post("/admin/endpoints/default/primary/suspend?for=1m").statusCode())
                    .as(authorization).isEqualTo(401);
            assertThat(call(authorization).post("/admin/endpoints/default/primary/resume").statusCode())
                    .as(authorization).isEqualTo(401);
        }
        assertThat(call(null).get("/admin/endpoints").header("WWW-Authenticate")).isEqualTo("Bearer");
        assertThat(endpoint("primary").breaker().stateCode()).isZero();
        assertThat(kafka.all(CONTROL)).hasSize(commands);
    }

    @Test
    void listsEveryGroupsEndpointsWithTheirState() {
        Response r = call(TOKEN).get("/admin/endpoints");
        assertThat(r.statusCode()).isEqualTo(200);
        List<Map<String, Object>> list = r.jsonPath().getList("$");
        assertThat(list).extracting(e -> e.get("relay") + "/" + e.get("endpoint"))
                .containsExactlyInAnyOrder("default/primary", "default/fallback", "bulk/primary", "bulk/fallback",
                        "faults/primary", "faults/fallback", "implicit/primary", "implicit/fallback");
        assertThat(list).allSatisfy(e -> {
            assertThat(e.get("state")).isEqualTo("closed");
            assertThat(e.get("stateCode")).isEqualTo(0);
            assertThat(e.get("tls")).isEqualTo(e.get("relay").equals("implicit") ? "implicit" : "starttls");
            assertThat(e).containsKeys("host", "port", "failureRate", "bufferedCalls", "failedCalls",
                    "notPermittedCalls", "openSessions");
        });
        assertThat(r.asString()).doesNotContain(io.submissionrouter.testing.TestSmtpServer.PASSWORD);
    }

    @Test
    void aSuspendedPrimarySendsTrafficToTheFallbackUntilResumed() throws Exception {
        Response suspended = call(TOKEN).post("/admin/endpoints/default/primary/suspend?for=10m");
        assertThat(suspended.statusCode()).isEqualTo(200);
        assertThat(suspended.jsonPath().getString("endpoint.state")).isEqualTo("suspended");
        Instant until = Instant.parse(suspended.jsonPath().getString("endpoint.suspendedUntil"));
        assertThat(until).isBetween(Instant.now().plus(Duration.ofMinutes(9)), Instant.now().plus(Duration.ofMinutes(11)));
        assertThat(metrics()).containsPattern(breakerState("default", "primary", 3));

        // the command is on the control topic, for every replica
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !kafka.on(CONTROL, "default/primary").isEmpty());
        ConsumerRecord<byte[], byte[]> record = last(kafka.on(CONTROL, "default/primary"));
        JsonNode command = KafkaTestClient.json(record);
        assertThat(command.path("action").asText()).isEqualTo("suspend");
        assertThat(Instant.parse(command.path("until").asText())).isEqualTo(until);
        assertThat(AsyncApi.validate("ControlCommand", command)).isEmpty();

        String jobId = Jobs.newJobId("suspended-primary");
        kafka.sendJob(jobId, Jobs.json(Jobs.job(jobId)));
        JsonNode result = kafka.awaitResult(jobId, Duration.ofSeconds(20));
        assertThat(result.path("status").asText()).isEqualTo("SENT");
        assertThat(result.path("endpoint").path("name").asText()).isEqualTo("fallback");
        assertThat(primary().received()).isEmpty();
        assertThat(kafka.attempts(jobId)).extracting(a -> a.path("outcome").asText())
                .containsExactly("skipped_open", "sent");

        Response resumed = call(TOKEN).post("/admin/endpoints/default/primary/resume");
        assertThat(resumed.statusCode()).isEqualTo(200);
        assertThat(resumed.jsonPath().getString("endpoint.state")).isEqualTo("closed");
        assertThat(resumed.jsonPath().getString("endpoint.suspendedUntil")).isNull();
        assertThat(metrics()).containsPattern(breakerState("default", "primary", 0));
        JsonNode resume = KafkaTestClient.json(last(kafka.on(CONTROL, "default/primary")));
        assertThat(resume.path("action").asText()).isEqualTo("resume");
        assertThat(AsyncApi.validate("ControlCommand", resume)).isEmpty();

        String after = Jobs.newJobId("resumed-primary");
        kafka.sendJob(after, Jobs.json(Jobs.job(after)));
        assertThat(kafka.awaitResult(after, Duration.ofSeconds(20)).path("endpoint").path("name").asText())
                .isEqualTo("primary");
        assertThat(metrics()).containsPattern(
                "submission_endpoint_control_total\\{action=\"suspend\",endpoint=\"primary\",relay=\"default\"} [1-9]");
        String log = Files.readString(Path.of(RouterTestResources.LOG_FILE));
        assertThat(log).contains("endpoint default/primary (127.0.0.1:" + primary().port() + ") suspended by an operator until " + until);
        assertThat(log).contains("endpoint default/primary (127.0.0.1:" + primary().port() + ") resumed by an operator");
    }

    @Test
    void aSuspensionEndsByItselfWhenItsTimeIsUp() {
        assertThat(call(TOKEN).post("/admin/endpoints/bulk/fallback/suspend?for=PT1S").statusCode()).isEqualTo(200);
        assertThat(groups.endpoint("bulk", "fallback").breaker().stateCode()).isEqualTo(3);
        Awaitility.await().atMost(Duration.ofSeconds(5))
                .until(() -> groups.endpoint("bulk", "fallback").breaker().stateCode() == 0);
    }

    @Test
    void refusesUnknownEndpointsAndBadDurationsAndSurvivesAnUnreadableControlRecord() {
        assertThat(call(TOKEN).post("/admin/endpoints/nosuch/primary/suspend?for=1m").statusCode()).isEqualTo(404);
        assertThat(call(TOKEN).post("/admin/endpoints/default/third/resume").statusCode()).isEqualTo(404);
        for (String bad : new String[] {"", "soon", "-5m", "0s"}) {
            Response r = call(TOKEN).post("/admin/endpoints/default/primary/suspend?for=" + bad);
            assertThat(r.statusCode()).as(bad).isEqualTo(400);
            assertThat(r.jsonPath().getString("error")).contains("positive duration");
        }
        assertThat(call(TOKEN).post("/admin/endpoints/default/primary/suspend").statusCode()).isEqualTo(400);

        // a record no replica can read is skipped; the commands after it still apply
        kafka.send(CONTROL, "default/fallback".getBytes(StandardCharsets.UTF_8),
                "not json".getBytes(StandardCharsets.UTF_8), Map.of());
        kafka.send(CONTROL, "bulk/primary".getBytes(StandardCharsets.UTF_8), ("{\"action\":\"suspend\",\"relay\":\"bulk\","
                + "\"endpoint\":\"primary\",\"until\":\"" + Instant.now().plusSeconds(600) + "\"}")
                .getBytes(StandardCharsets.UTF_8), Map.of());
        Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> groups.endpoint("bulk", "primary").breaker().stateCode() == 3);
        assertThat(groups.endpoint("default", "fallback").breaker().stateCode()).isZero();
        assertThat(call(TOKEN).post("/admin/endpoints/bulk/primary/resume").statusCode()).isEqualTo(200);
    }

    private static RequestSpecification call(String authorization) {
        RequestSpecification request = RestAssured.given();
        return authorization == null ? request : request.header("Authorization", authorization);
    }

    private static String metrics() {
        return RestAssured.get("/q/metrics").asString();
    }

    private static String breakerState(String relay, String endpoint, int state) {
        return "submission_breaker_state\\{endpoint=\"" + endpoint + "\",relay=\"" + relay + "\"} " + state + "\\.0";
    }

    private static ConsumerRecord<byte[], byte[]> last(List<ConsumerRecord<byte[], byte[]>> records) {
        return records.get(records.size() - 1);
    }
}
