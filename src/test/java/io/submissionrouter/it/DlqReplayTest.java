package io.submissionrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import io.submissionrouter.testing.Jobs;
import io.submissionrouter.testing.RouterTestBase;
import io.submissionrouter.testing.RouterTestResources;
import io.submissionrouter.testing.TestSmtpServer.Mode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** Dead letters go back to the jobs topic with one operator call, and are processed as new jobs. */
@QuarkusTest
class DlqReplayTest extends RouterTestBase {

    @Test
    void replaysAnExpiredJobOnceItsEndpointsAreBackAndItIsSent() {
        primary().mode(Mode.REFUSE);
        fallback().mode(Mode.REFUSE);
        String jobId = Jobs.newJobId("replayed");
        byte[] value = Jobs.json(Jobs.job(jobId)).getBytes(StandardCharsets.UTF_8);
        kafka.send("email.jobs", jobId.getBytes(StandardCharsets.UTF_8), value, Map.of(),
                Instant.now().minus(Duration.ofHours(25)));
        assertThat(kafka.awaitResult(jobId, Duration.ofSeconds(30)).path("error").path("code").asText())
                .isEqualTo("EXPIRED");
        primary().reset();
        fallback().reset();

        assertThat(replay(null, jobId, true).statusCode()).isEqualTo(401);
        assertThat(replay("Bearer wrong", jobId, true).statusCode()).isEqualTo(401);

        Response dryRun = replay("Bearer " + RouterTestResources.ADMIN_TOKEN, jobId, true);
        assertThat(dryRun.statusCode()).isEqualTo(200);
        assertThat(dryRun.jsonPath().getInt("matched")).isEqualTo(1);
        assertThat(dryRun.jsonPath().getInt("replayed")).isZero();
        assertThat(dryRun.jsonPath().getString("records[0].errorCode")).isEqualTo("EXPIRED");
        assertThat(kafka.on("email.results", jobId)).hasSize(1);

        Response done = replay("Bearer " + RouterTestResources.ADMIN_TOKEN, jobId, false);
        assertThat(done.jsonPath().getInt("replayed")).isEqualTo(1);
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> kafka.on("email.results", jobId).size() == 2);
        JsonNode second = io.submissionrouter.testing.KafkaTestClient.json(kafka.on("email.results", jobId).get(1));
        assertThat(second.path("status").asText()).isEqualTo("SENT");
        assertThat(kafka.on("email.dlq", jobId)).hasSize(1);
    }

    private static Response replay(String authorization, String jobId, boolean dryRun) {
        var request = RestAssured.given().queryParam("jobId", jobId).queryParam("dryRun", dryRun)
                .queryParam("errorCode", "EXPIRED");
        if (authorization != null) {
            request = request.header("Authorization", authorization);
        }
        return request.post("/admin/dlq/replay");
    }
}
