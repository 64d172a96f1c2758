package io.submissionrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.submissionrouter.job.MessageIds;
import io.submissionrouter.testing.AsyncApi;
import io.submissionrouter.testing.Jobs;
import io.submissionrouter.testing.KafkaTestClient;
import io.submissionrouter.testing.RouterTestBase;
import io.submissionrouter.testing.RouterTestResources;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Job records larger than the jobs topic takes, as Kafka lets them in when their producer compresses them (Kafka
 * checks {@code max.message.bytes} against the compressed batch): here a job padded with an unknown top-level field
 * (ignored, CONTRACT 2) past the test jobs topic's 16 MiB, written with zstd, so its own bytes are larger than the
 * dead-letter and retry topics were sized for (README "Record sizes"). Such a job is not INVALID for its own bytes;
 * a dead letter of it that Kafka refuses as too large goes without the value (the one exception to CONTRACT 4); and
 * its partition's commit moves past it. No topic setting is changed.
 */
@QuarkusTest
class CompressedJobsTest extends RouterTestBase {

    private static final String JOBS = "email.jobs";
    private static final String GROUP = "smtp-submission-router";
    private static KafkaProducer<byte[], byte[]> zstd;

    @BeforeAll
    static void compressingProducer() {
        zstd = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, RouterTestResources.kafka().bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd",
                // the producer checks these against the uncompressed record; the broker checks the compressed batch
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(64 * 1024 * 1024),
                ProducerConfig.BUFFER_MEMORY_CONFIG, String.valueOf(64 * 1024 * 1024)),
                new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** The router has created its topics and started its intake. */
    @BeforeEach
    void ready() {
        Awaitility.await().atMost(Duration.ofSeconds(60))
                .until(() -> RestAssured.get("/q/health/ready").statusCode() == 200);
    }

    @AfterAll
    static void closeProducer() {
        zstd.close();
    }

    @Test
    void aValidJobLargerThanTheTopicsWereSizedForIsSentAndItsPartitionMovesOn() throws Exception {
        String jobId = Jobs.newJobId("compressed");
        long offset = sendCompressed(jobId, padded(Jobs.job(jobId), takes("email.dlq") + 16 * 1024));

        JsonNode result = kafka.awaitResult(jobId, Duration.ofSeconds(60));
        assertThat(result.path("status").asText()).as(result.toString()).isEqualTo("SENT");
        assertThat(copies(jobId)).isEqualTo(1);
        assertPartitionMovesPast(offset);
        assertThat(kafka.on("email.dlq", jobId)).isEmpty();
    }

    @Test
    void anInvalidJobWhoseDeadLetterKafkaRefusesAsTooLargeGetsOneWithoutTheValueAndItsPartitionMovesOn()
            throws Exception {
        String jobId = Jobs.newJobId("compressed-invalid");
        ObjectNode job = Jobs.job(jobId);
        job.remove("subject");
        int padding = (int) takes("email.dlq") + 16 * 1024;
        byte[] value = padded(job, padding);
        long offset = sendCompressed(jobId, value);

        JsonNode result = kafka.awaitResult(jobId, Duration.ofSeconds(60));
        assertThat(result.path("status").asText()).isEqualTo("INVALID");
        assertThat(result.path("error").path("code").asText()).isEqualTo("MISSING_FIELD");
        ConsumerRecord<byte[], byte[]> dead = awaitDeadLetter(jobId);
        assertValueless(dead, jobId, "MISSING_FIELD", value.length, offset);
        assertPartitionMovesPast(offset);
        Thread.sleep(1000); // a second dead letter would show by now
        assertThat(kafka.on("email.dlq", jobId)).hasSize(1);
        assertThat(Files.readString(Path.of(RouterTestResources.LOG_FILE)))
                .contains("dead letter of job " + jobId).contains("TOO_LARGE_FOR_DLQ");
        assertThat(RestAssured.get("/q/metrics").asString())
                .containsPattern("submission_dead_letters_without_value_total(\\{[^}]*})? [1-9]");

        // an operator's replay lists it and leaves it: there is no value to replay
        var replay = RestAssured.given().header("Authorization", "Bearer " + RouterTestResources.ADMIN_TOKEN)
                .queryParam("jobId", jobId).queryParam("dryRun", false).post("/admin/dlq/replay");
        assertThat(replay.statusCode()).isEqualTo(200);
        assertThat(replay.jsonPath().getInt("matched")).isEqualTo(1);
        assertThat(replay.jsonPath().getInt("replayed")).isZero();
        assertThat(replay.jsonPath().getString("records[0].errorCode")).isEqualTo("TOO_LARGE_FOR_DLQ");
        Thread.sleep(1000); // a replayed copy would have its result by now
        assertThat(kafka.on("email.results", jobId)).hasSize(1);
    }

    /** A retry record too large for the tiers ends the job FAILED (TOO_LARGE_TO_RETRY); its dead letter as above. */
    @Test
    void aTransientFailureOfAJobTooLargeToRetryEndsItFailedWithADeadLetterWithoutTheValue() throws Exception {
        String jobId = Jobs.newJobId("compressed-451");
        long tiers = Stream.of(RETRY_200MS, RETRY_400MS, WAIT_DEFAULT).mapToLong(CompressedJobsTest::takes).max()
                .orElseThrow();
        byte[] value = padded(Jobs.withFault(jobId, "data-451"), tiers + 16 * 1024);
        long offset = sendCompressed(jobId, value);

        JsonNode result = kafka.awaitResult(jobId, Duration.ofSeconds(60));
        assertThat(result.path("status").asText()).as(result.toString()).isEqualTo("FAILED");
        assertThat(result.path("error").path("code").asText()).isEqualTo("TOO_LARGE_TO_RETRY");
        assertThat(result.path("attempts").asInt()).isEqualTo(1);
        assertValueless(awaitDeadLetter(jobId), jobId, "TOO_LARGE_TO_RETRY", value.length, offset);
        assertPartitionMovesPast(offset);
        for (String tier : List.of(RETRY_200MS, RETRY_400MS)) {
            assertThat(kafka.on(tier, jobId)).as(tier).isEmpty();
        }
    }

    /** The dead letter that stands for one Kafka refused: key and headers, no value, and where the original is. */
    private static void assertValueless(ConsumerRecord<byte[], byte[]> dead, String jobId, String code, int size,
            long offset) {
        assertThat(dead.value()).isEmpty();
        assertThat(new String(dead.key(), StandardCharsets.UTF_8)).isEqualTo(jobId);
        assertThat(KafkaTestClient.header(dead, "error.code")).isEqualTo("TOO_LARGE_FOR_DLQ");
        assertThat(KafkaTestClient.header(dead, "original.error.code")).isEqualTo(code);
        assertThat(KafkaTestClient.header(dead, "original.size")).isEqualTo(String.valueOf(size));
        assertThat(KafkaTestClient.header(dead, "source.topic")).isEqualTo(JOBS);
        assertThat(KafkaTestClient.header(dead, "source.partition")).isEqualTo("0");
        assertThat(KafkaTestClient.header(dead, "source.offset")).isEqualTo(String.valueOf(offset));
        assertThat(KafkaTestClient.header(dead, "jobId")).isEqualTo(jobId);
        assertThat(KafkaTestClient.header(dead, "error.message")).contains(code).contains(JOBS + "-0@" + offset);
        assertThat(AsyncApi.validate("DeadLetterHeaders", AsyncApi.headers(dead))).isEmpty();
    }

    /**
     * The intake's commit of the job's partition passes the job's record (nothing holds it), and a job written after
     * it on that partition gets its result.
     */
    private static void assertPartitionMovesPast(long offset) throws Exception {
        String next = Jobs.newJobId("after-compressed");
        long nextOffset = send(zstd, next, Jobs.json(Jobs.job(next)).getBytes(StandardCharsets.UTF_8));
        assertThat(kafka.awaitResult(next, Duration.ofSeconds(30)).path("status").asText()).isEqualTo("SENT");
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> committed() > nextOffset);
        assertThat(committed()).isGreaterThan(offset);
    }

    private static long committed() throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", RouterTestResources.kafka().bootstrapServers()))) {
            OffsetAndMetadata o = admin.listConsumerGroupOffsets(GROUP).partitionsToOffsetAndMetadata().get()
                    .get(new TopicPartition(JOBS, 0));
            return o == null ? -1 : o.offset();
        }
    }

    /** {@code job} with an unknown top-level field of {@code padding} characters (ignored by the router). */
    private static byte[] padded(ObjectNode job, long padding) {
        job.put("padding", "x".repeat((int) padding));
        byte[] value = Jobs.json(job).getBytes(StandardCharsets.UTF_8);
        assertThat((long) value.length).as("larger than the jobs topic takes uncompressed").isGreaterThan(takes(JOBS));
        return value;
    }

    private static long sendCompressed(String jobId, byte[] value) {
        return send(zstd, jobId, value);
    }

    private static long send(KafkaProducer<byte[], byte[]> producer, String jobId, byte[] value) {
        try {
            return producer.send(new ProducerRecord<>(JOBS, 0, jobId.getBytes(StandardCharsets.UTF_8), value)).get()
                    .offset();
        } catch (Exception e) {
            throw new IllegalStateException("could not produce " + jobId, e);
        }
    }

    private static long takes(String topic) {
        return Long.parseLong(RouterTestResources.kafka().maxMessageBytes(topic));
    }

    private static ConsumerRecord<byte[], byte[]> awaitDeadLetter(String jobId) {
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> !kafka.on("email.dlq", jobId).isEmpty());
        return kafka.on("email.dlq", jobId).get(0);
    }

    private static long copies(String jobId) {
        String messageId = MessageIds.of(jobId, "router.test");
        return Stream.concat(primary().received().stream(), fallback().received().stream())
                .filter(r -> r.text().contains(messageId)).count();
    }
}
