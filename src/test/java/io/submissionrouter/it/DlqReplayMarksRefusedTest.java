package io.submissionrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import io.submissionrouter.admin.DlqReplay;
import io.submissionrouter.job.MessageIds;
import io.submissionrouter.testing.Jobs;
import io.submissionrouter.testing.KafkaTestClient;
import io.submissionrouter.testing.RouterTestBase;
import io.submissionrouter.testing.RouterTestResources;
import io.submissionrouter.testing.TestSmtpServer.Mode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The dead-letter replay's marks topic ({@code email.dlq.replayed}) refusing its records while a replay is done: the
 * jobs are replayed once by that call, which answers; the replays that could not be marked are logged; a later call,
 * once the marks topic takes records again, may replay them again, and a job the server accepted is then never sent
 * again (DUPLICATE, CONTRACT 8). Each job's final dot is answered slowly, so the second call comes while the first
 * call's jobs are still in flight (not yet completed: the replay cannot skip them as delivered).
 */
@QuarkusTest
class DlqReplayMarksRefusedTest extends RouterTestBase {

    private static final String MARKS = "email.dlq" + DlqReplay.MARKS_SUFFIX;
    private static final String TOKEN = "Bearer " + RouterTestResources.ADMIN_TOKEN;

    @AfterEach
    void marksTakenAgain() {
        alter(MARKS, new AlterConfigOp(new ConfigEntry("max.message.bytes", ""), AlterConfigOp.OpType.DELETE));
    }

    @Test
    void replaysThatCouldNotBeMarkedAreReplayedOnceAndNeverSentTwice() throws Exception {
        List<String> jobIds = List.of(Jobs.newJobId("unmarked-a"), Jobs.newJobId("unmarked-b"));
        replayWhileMarksAreRefused(jobIds, 5000);

        // the marks topic takes records again; the first call's jobs are still in flight (their dot is slow)
        alter(MARKS, new AlterConfigOp(new ConfigEntry("max.message.bytes", ""), AlterConfigOp.OpType.DELETE));
        Response second = replay(jobIds, false);
        assertThat(second.statusCode()).as(second.asString()).isEqualTo(200);
        assertThat(second.jsonPath().getInt("matched")).isEqualTo(2);
        List<String> outcomes = second.jsonPath().getList("records.outcome");
        List<String> replayedAgain = second.jsonPath().getList("records.findAll { it.outcome == 'replayed' }.jobId");

        for (String jobId : jobIds) {
            int results = replayedAgain.contains(jobId) ? 3 : 2;
            Awaitility.await().atMost(Duration.ofSeconds(45))
                    .until(() -> kafka.on("email.results", jobId).size() >= results);
        }
        Thread.sleep(2000); // a further result or message would show by now
        for (String jobId : jobIds) {
            List<String> statuses = kafka.on("email.results", jobId).stream()
                    .map(r -> KafkaTestClient.json(r).path("status").asText()).toList();
            assertThat(copies(jobId)).as("one SMTP message for " + jobId + ", outcomes of the second call "
                    + outcomes).isEqualTo(1);
            if (replayedAgain.contains(jobId)) {
                assertThat(statuses).as("replayed again: " + jobId).containsExactly("FAILED", "SENT", "DUPLICATE");
                assertThat(KafkaTestClient.json(kafka.on("email.results", jobId).get(2)).path("originalStatus")
                        .asText()).isEqualTo("SENT");
            } else {
                assertThat(statuses).as("replayed once: " + jobId + " " + outcomes).containsExactly("FAILED", "SENT");
            }
        }
        // with a 5 s dot the second call comes while both are in flight; on a loaded machine one may have ended
        assertThat(replayedAgain).as("the second call, the first call's jobs still in flight: " + outcomes)
                .isNotEmpty();

        // now marked: a third call replays nothing
        Response third = replay(jobIds, false);
        assertThat(third.jsonPath().getInt("replayed")).isZero();
        assertThat(third.jsonPath().getList("records.outcome")).doesNotContain("replayed");
    }

    /**
     * The same, the second call after the first call's jobs were sent: their dead letters are delivered, and not
     * replayed again (DlqReplay's outcome {@code delivered}).
     */
    @Test
    void replaysThatCouldNotBeMarkedAreNotReplayedAgainOnceDelivered() throws Exception {
        List<String> jobIds = List.of(Jobs.newJobId("unmarked-sent-a"), Jobs.newJobId("unmarked-sent-b"));
        replayWhileMarksAreRefused(jobIds, 0);
        for (String jobId : jobIds) {
            Awaitility.await().atMost(Duration.ofSeconds(30))
                    .until(() -> kafka.on("email.results", jobId).size() >= 2);
        }
        alter(MARKS, new AlterConfigOp(new ConfigEntry("max.message.bytes", ""), AlterConfigOp.OpType.DELETE));

        Response second = replay(jobIds, false);
        assertThat(second.statusCode()).as(second.asString()).isEqualTo(200);
        assertThat(second.jsonPath().getInt("matched")).isEqualTo(2);
        assertThat(second.jsonPath().getInt("replayed")).isZero();
        assertThat(second.jsonPath().getList("records.outcome")).containsOnly("delivered");
        Thread.sleep(2000); // a further result or message would show by now
        for (String jobId : jobIds) {
            assertThat(kafka.on("email.results", jobId)).extracting(r -> KafkaTestClient.json(r).path("status")
                    .asText()).as(jobId).containsExactly("FAILED", "SENT");
            assertThat(copies(jobId)).as("one SMTP message for " + jobId).isEqualTo(1);
        }
    }

    /**
     * Dead-letters the jobs (EXPIRED: older than max-age, their endpoints refusing), then replays them while the marks
     * topic refuses records: the call answers, replays both, and logs that they could not be marked. Each job's
     * final dot is answered after {@code dotMillis}.
     */
    private static void replayWhileMarksAreRefused(List<String> jobIds, int dotMillis) throws Exception {
        primary().mode(Mode.REFUSE);
        fallback().mode(Mode.REFUSE);
        for (String jobId : jobIds) {
            ObjectNode job = Jobs.job(jobId);
            job.putObject("headers").put("X-Test-Fault", "slow-dot-" + dotMillis);
            kafka.send("email.jobs", jobId.getBytes(StandardCharsets.UTF_8),
                    Jobs.json(job).getBytes(StandardCharsets.UTF_8), Map.of(),
                    Instant.now().minus(Duration.ofHours(25)));
        }
        for (String jobId : jobIds) {
            assertThat(kafka.awaitResult(jobId, Duration.ofSeconds(30)).path("error").path("code").asText())
                    .isEqualTo("EXPIRED");
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !kafka.on("email.dlq", jobId).isEmpty());
        }
        primary().reset();
        fallback().reset();
        // a dry run makes the marks topic (as the router makes it); then it refuses every record
        assertThat(replay(jobIds, true).statusCode()).isEqualTo(200);
        alter(MARKS, new AlterConfigOp(new ConfigEntry("max.message.bytes", "1"), AlterConfigOp.OpType.SET));

        long logged = unmarkedLines();
        long began = System.nanoTime();
        Response first = replay(jobIds, false);
        assertThat(Duration.ofNanos(System.nanoTime() - began)).as("the call answers within its bounds")
                .isLessThan(Duration.ofSeconds(30));
        assertThat(first.statusCode()).as(first.asString()).isEqualTo(200);
        assertThat(first.jsonPath().getInt("matched")).isEqualTo(2);
        assertThat(first.jsonPath().getInt("replayed")).isEqualTo(2);
        assertThat(first.jsonPath().getList("records.outcome")).containsOnly("replayed");
        assertThat(unmarkedLines()).as("the call logged that its replays could not be marked").isEqualTo(logged + 1);
    }

    private static long unmarkedLines() throws Exception {
        return Files.readAllLines(Path.of(RouterTestResources.LOG_FILE)).stream()
                .filter(line -> line.contains("dlq replay: 2 replays could not be marked on " + MARKS)).count();
    }

    private static Response replay(List<String> jobIds, boolean dryRun) {
        return RestAssured.given().header("Authorization", TOKEN).queryParam("jobId", jobIds.toArray())
                .queryParam("errorCode", "EXPIRED").queryParam("dryRun", dryRun).post("/admin/dlq/replay");
    }

    private static long copies(String jobId) {
        String messageId = MessageIds.of(jobId, "router.test");
        return Stream.concat(primary().received().stream(), fallback().received().stream())
                .filter(r -> r.text().contains(messageId)).count();
    }

    private static void alter(String topic, AlterConfigOp op) {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", RouterTestResources.kafka().bootstrapServers()))) {
            if (!admin.listTopics().names().get().contains(topic)) {
                return; // made by the first replay (the dry run)
            }
            admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, topic), List.of(op)))
                    .all().get();
        } catch (Exception e) {
            throw new IllegalStateException("cannot change " + topic, e);
        }
    }
}
