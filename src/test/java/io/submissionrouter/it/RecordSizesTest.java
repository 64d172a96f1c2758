package io.submissionrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.junit.QuarkusTest;
import io.submissionrouter.job.JobReader;
import io.submissionrouter.job.JobValidator;
import io.submissionrouter.job.ValidJob;
import io.submissionrouter.output.OutputTopics;
import io.submissionrouter.output.RecordBounds;
import io.submissionrouter.pass.SourceRecord;
import io.submissionrouter.testing.Jobs;
import io.submissionrouter.testing.KafkaTestClient;
import io.submissionrouter.testing.RouterTestBase;
import io.submissionrouter.testing.RouterTestResources;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.SimpleRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Every record the router writes for a job, as Kafka holds it (key, value and every header camel-kafka put on it),
 * is within the bound the job was checked against at intake (CONTRACT 9.3): the bounds leave out nothing the router
 * and its Kafka component write.
 */
@QuarkusTest
class RecordSizesTest extends RouterTestBase {

    private static final String TRACEPARENT = "00-" + "a".repeat(32) + "-" + "b".repeat(16) + "-01";

    @Inject
    OutputTopics outputTopics;

    @Inject
    ObjectMapper mapper;

    /** Accepted for one recipient, refused for one, deferred for one until max-attempts: completions, tiers, result. */
    @Test
    void theCompletionsRetryRecordsAttemptEventsAndResultOfAJobAreWithinItsBounds() {
        String jobId = Jobs.newJobId("sizes");
        ObjectNode job = Jobs.job(jobId);
        job.putArray("to").add("ada@example.org").add("reject-sizes@example.org").add("defer-sizes@example.org");
        job.putObject("metadata").put("tenant", "shop-eu \u0001\"\\");
        KafkaTestClient completions = new KafkaTestClient(RouterTestResources.kafka().bootstrapServers(),
                List.of("email.jobs.completed"));
        try {
            RecordBounds.Sizes bounds = send(jobId, job);
            JsonNode result = kafka.awaitResult(jobId, Duration.ofSeconds(30));
            assertThat(result.path("status").asText()).isEqualTo("SENT");
            assertThat(result.path("failedRecipients")).hasSize(1);
            Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> completions.on("email.jobs.completed", jobId).size() >= 2);

            assertWithin(completions.on("email.jobs.completed", jobId), bounds.completion());
            assertWithin(kafka.on("email.results", jobId), bounds.result());
            assertWithin(kafka.on("email.attempts", jobId), bounds.attempt());
            assertWithin(kafka.on(RETRY_200MS, jobId), bounds.deferred());
            assertWithin(kafka.on(RETRY_400MS, jobId), bounds.deferred());
        } finally {
            completions.close();
        }
    }

    @Test
    void theDeadLetterOfAJobThatRanOutOfRetriesIsWithinItsBound() {
        String jobId = Jobs.newJobId("sizes-failed");
        RecordBounds.Sizes bounds = send(jobId, Jobs.withFault(jobId, "data-451"));
        assertThat(kafka.awaitResult(jobId, Duration.ofSeconds(30)).path("status").asText()).isEqualTo("FAILED");
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !kafka.on("email.dlq", jobId).isEmpty());
        assertWithin(kafka.on("email.dlq", jobId), bounds.deadLetter());
    }

    /** Sends {@code job} with a traceparent (copied to its records) and returns the bounds the router checks it with. */
    private RecordBounds.Sizes send(String jobId, ObjectNode job) {
        byte[] key = jobId.getBytes(StandardCharsets.UTF_8);
        byte[] value = Jobs.json(job).getBytes(StandardCharsets.UTF_8);
        kafka.send("email.jobs", key, value, Map.of("traceparent", TRACEPARENT));
        try {
            ValidJob valid = new JobValidator(new JobValidator.Limits(100, 50, Set.of()), Optional.empty(),
                    Set.of("default"))
                    .validate(new JobReader(mapper).read(value));
            return outputTopics.bounds(valid, new SourceRecord("email.jobs", 0, 0, Instant.now(), key, value,
                    TRACEPARENT));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Each record, alone in an uncompressed batch as a broker measures it, is within {@code bound}. */
    private static void assertWithin(List<ConsumerRecord<byte[], byte[]>> records, long bound) {
        assertThat(records).isNotEmpty();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            int size = MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(r.timestamp(), r.key(), r.value(),
                    r.headers().toArray())).sizeInBytes();
            assertThat((long) size).as(r.topic() + " record of " + r.headers()).isLessThanOrEqualTo(bound);
        }
    }
}
