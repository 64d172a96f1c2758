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
        Response soon = replay("Bearer " + RouterTestResources.ADMIN_TOKEN, jobId, false);
        assertThat(soon.jsonPath().getInt("replayed")).as("a second call while the first call's job is in flight")
                .isZero();
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> kafka.on("email.results", jobId).size() == 2);
        JsonNode second = io.submissionrouter.testing.KafkaTestClient.json(kafka.on("email.results", jobId).get(1));
        assertThat(second.path("status").asText()).isEqualTo("SENT");
        assertThat(kafka.on("email.dlq", jobId)).hasSize(1);

        // replayed once is enough: a second call, however soon (the first call's job in flight or delivered),
        // skips the dead letter the first one replayed (its mark on email.dlq.replayed)
        Response again = replay("Bearer " + RouterTestResources.ADMIN_TOKEN, jobId, false);
        assertThat(again.jsonPath().getInt("matched")).isEqualTo(1);
        assertThat(again.jsonPath().getInt("replayed")).isZero();
        assertThat(again.jsonPath().getString("records[0].outcome")).isEqualTo("replayed-already");
    }

    /**
     * A replay that names nothing replays only what can succeed: a job's own fault (INVALID) would only come back
     * INVALID and be dead-lettered again, doubling the topic with every call; it is replayed when named. (Dry runs:
     * the other tests' dead letters stay where they are.)
     */
    @Test
    void anInvalidJobIsReplayedOnlyWhenNamed() {
        String jobId = Jobs.newJobId("replay-invalid");
        var job = Jobs.job(jobId);
        job.put("relay", "nowhere");
        kafka.sendJob(jobId, Jobs.json(job));
        assertThat(kafka.awaitResult(jobId, Duration.ofSeconds(30)).path("error").path("code").asText())
                .isEqualTo("UNKNOWN_RELAY");
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !kafka.on("email.dlq", jobId).isEmpty());
        // the producer sends it again under its jobId, changed, and it is dead-lettered again
        job.put("subject", "second version");
        kafka.sendJob(jobId, Jobs.json(job));
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> kafka.on("email.dlq", jobId).size() == 2);

        Response unnamed = RestAssured.given().header("Authorization", "Bearer " + RouterTestResources.ADMIN_TOKEN)
                .queryParam("dryRun", true).post("/admin/dlq/replay");
        assertThat(unnamed.statusCode()).isEqualTo(200);
        assertThat(unnamed.jsonPath().getList("records.findAll { it.jobId == '" + jobId + "' }.outcome"))
                .containsExactly("superseded", "input-fault");

        // named, only the newest dead letter (the job as it was last) is replayed
        Response named = RestAssured.given().header("Authorization", "Bearer " + RouterTestResources.ADMIN_TOKEN)
                .queryParam("dryRun", true).queryParam("errorCode", "UNKNOWN_RELAY").queryParam("jobId", jobId)
                .post("/admin/dlq/replay");
        assertThat(named.jsonPath().getInt("matched")).isEqualTo(2);
        assertThat(named.jsonPath().getList("records.outcome")).containsExactly("superseded", "replayed");
        assertThat(named.jsonPath().getLong("records[1].offset")).isEqualTo(kafka.on("email.dlq", jobId).get(1).offset());

        Response capped = RestAssured.given().header("Authorization", "Bearer " + RouterTestResources.ADMIN_TOKEN)
                .queryParam("dryRun", true).queryParam("limit", 0).post("/admin/dlq/replay");
        assertThat(capped.statusCode()).isEqualTo(400);
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
