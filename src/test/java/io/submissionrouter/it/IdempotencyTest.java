package io.submissionrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.submissionrouter.idempotency.CompletedJobs;
import io.submissionrouter.job.MessageIds;
import io.submissionrouter.testing.Jobs;
import io.submissionrouter.testing.KafkaTestClient;
import io.submissionrouter.testing.RouterTestBase;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** A completed jobId seen again gets DUPLICATE and nothing is sent; INVALID and FAILED jobs may come back (CONTRACT 5.4). */
@QuarkusTest
class IdempotencyTest extends RouterTestBase {

    private static final String IDEMPOTENCY = "email.jobs.completed";

    @Test
    void answersDuplicateWithTheOriginalsStatusMessageIdAndTimeAndSendsNothing() {
        String jobId = Jobs.newJobId("dup");
        kafka.sendJob(jobId, Jobs.json(Jobs.job(jobId)));
        JsonNode first = awaitResults(jobId, 1).get(0);
        assertThat(first.path("status").asText()).isEqualTo("SENT");

        kafka.sendJob(jobId, Jobs.json(Jobs.job(jobId)));
        JsonNode second = awaitResults(jobId, 2).get(1);

        assertThat(second.path("status").asText()).isEqualTo("DUPLICATE");
        assertThat(second.path("originalStatus").asText()).isEqualTo("SENT");
        assertThat(io.submissionrouter.testing.AsyncApi.validate("DeliveryResult", second)).isEmpty();
        assertThat(second.path("messageId").asText()).isEqualTo(first.path("messageId").asText());
        assertThat(second.path("completedAt").asText()).isEqualTo(first.path("completedAt").asText());
        assertThat(second.path("attempts").asInt()).isZero();
        assertThat(first.has("originalStatus")).isFalse();
        ConsumerRecord<byte[], byte[]> record = kafka.on("email.results", jobId).get(1);
        assertThat(KafkaTestClient.header(record, "ce_type")).isEqualTo("email.submission.duplicate");
        assertThat(primary().received()).hasSize(1);
        assertThat(kafka.attempts(jobId)).hasSize(1);
        assertThat(kafka.on("email.dlq", jobId)).isEmpty();
    }

    @Test
    void remembersRejectedJobsToo() {
        String jobId = Jobs.newJobId("dup-rejected");
        ObjectNode job = Jobs.job(jobId);
        job.putArray("to").add("reject-x@example.org");
        kafka.sendJob(jobId, Jobs.json(job));
        assertThat(awaitResults(jobId, 1).get(0).path("status").asText()).isEqualTo("REJECTED");
        kafka.sendJob(jobId, Jobs.json(job));
        JsonNode second = awaitResults(jobId, 2).get(1);
        assertThat(second.path("status").asText()).isEqualTo("DUPLICATE");
        assertThat(second.path("originalStatus").asText()).isEqualTo("REJECTED");
    }

    @Test
    void processesAnInvalidJobAgainWhenItIsResubmittedFixed() {
        String jobId = Jobs.newJobId("fixed");
        ObjectNode broken = Jobs.job(jobId);
        broken.remove("subject");
        kafka.sendJob(jobId, Jobs.json(broken));
        assertThat(awaitResults(jobId, 1).get(0).path("status").asText()).isEqualTo("INVALID");
        kafka.sendJob(jobId, Jobs.json(Jobs.job(jobId)));
        assertThat(awaitResults(jobId, 2).get(1).path("status").asText()).isEqualTo("SENT");
        assertThat(primary().received()).hasSize(1);
    }

    @Test
    void processesAFailedJobAgainWhenItIsResubmitted() {
        String jobId = Jobs.newJobId("failed-again");
        ObjectNode failing = Jobs.withFault(jobId, "data-451");
        kafka.sendJob(jobId, Jobs.json(failing));
        assertThat(awaitResults(jobId, 1).get(0).path("status").asText()).isEqualTo("FAILED");
        kafka.sendJob(jobId, Jobs.json(Jobs.job(jobId)));
        assertThat(awaitResults(jobId, 2).get(1).path("status").asText()).isEqualTo("SENT");
    }

    @Test
    void writesTheCompletionToTheIdempotencyTopic() {
        String jobId = Jobs.newJobId("completion");
        kafka.sendJob(jobId, Jobs.json(Jobs.job(jobId)));
        JsonNode result = awaitResults(jobId, 1).get(0);
        KafkaTestClient completed = new KafkaTestClient(
                io.submissionrouter.testing.RouterTestResources.kafka().bootstrapServers(), List.of("email.jobs.completed"));
        try {
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !completed.on("email.jobs.completed", jobId).isEmpty());
            JsonNode completion = KafkaTestClient.json(completed.on("email.jobs.completed", jobId).get(0));
            assertThat(completion.path("status").asText()).isEqualTo("SENT");
            assertThat(completion.path("messageId").asText()).isEqualTo(result.path("messageId").asText());
        } finally {
            completed.close();
        }
    }

    /**
     * Records of the idempotency topic the router cannot read (no completedAt, a time that is not one, no status, not
     * JSON) complete nothing: each is skipped with a warning and counted, and the tail goes on, so a completion another
     * replica wrote after them still makes a copy of its job a DUPLICATE.
     */
    @Test
    void skipsIdempotencyRecordsItCannotReadAndStillKnowsTheCompletionsAfterThem() {
        double before = unreadableRecords();
        String noTime = Jobs.newJobId("no-completed-at");
        String elsewhere = Jobs.newJobId("completed-elsewhere");
        String messageId = MessageIds.of(elsewhere, "router.test");
        completion(noTime, "{\"status\":\"SENT\",\"messageId\":\"<x@router.test>\",\"done\":true}");
        completion(Jobs.newJobId("bad-time"), "{\"status\":\"SENT\",\"completedAt\":\"yesterday\"}");
        completion(Jobs.newJobId("garbage"), "not json");
        completion(elsewhere, "{\"status\":\"SENT\",\"messageId\":\"" + messageId + "\",\"completedAt\":\""
                + Instant.now() + "\",\"done\":true}");
        // written last: once it is counted, the tail has read every record before it (the topic has one partition)
        completion(Jobs.newJobId("no-status"), "{\"completedAt\":\"" + Instant.now() + "\"}");
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> unreadableRecords() >= before + 4);

        kafka.sendJob(noTime, Jobs.json(Jobs.job(noTime)));
        assertThat(awaitResults(noTime, 1).get(0).path("status").asText()).as("a record without completedAt completes "
                + "nothing").isEqualTo("SENT");
        kafka.sendJob(elsewhere, Jobs.json(Jobs.job(elsewhere)));
        JsonNode duplicate = awaitResults(elsewhere, 1).get(0);
        assertThat(duplicate.path("status").asText()).isEqualTo("DUPLICATE");
        assertThat(duplicate.path("messageId").asText()).isEqualTo(messageId);
        assertThat(primary().received()).hasSize(1);
    }

    private static void completion(String jobId, String value) {
        kafka.send(IDEMPOTENCY, jobId.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8),
                Map.of(CompletedJobs.ORIGIN_HEADER, "another-replica"));
    }

    private static double unreadableRecords() {
        String metrics = RestAssured.get("/q/metrics").then().statusCode(200).extract().asString();
        return metrics.lines().filter(l -> l.startsWith("submission_idempotency_unreadable_records_total"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    private static List<JsonNode> awaitResults(String jobId, int count) {
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> kafka.on("email.results", jobId).size() >= count);
        return kafka.on("email.results", jobId).stream().map(KafkaTestClient::json).toList();
    }
}
