package io.submissionrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.submissionrouter.testing.Jobs;
import io.submissionrouter.testing.KafkaTestClient;
import io.submissionrouter.testing.RouterTestBase;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * Durable retries (CONTRACT 5.3): one topic per delay tier, attempt n in tier min(n, last), the original
 * record carried through (dlq headers name the jobs topic), max-attempts and max-age, and no partition
 * held while a job waits for its retry. Test settings: delays 200ms,400ms; max-attempts 3; max-age 24h.
 */
@QuarkusTest
class RetryTiersTest extends RouterTestBase {

    @Test
    void retriesThroughOneTopicPerDelayAndDeadLettersTheOriginalRecordWhenAttemptsRunOut() {
        String jobId = Jobs.newJobId("tiers");
        byte[] original = Jobs.json(Jobs.withFault(jobId, "data-451")).getBytes(StandardCharsets.UTF_8);
        kafka.send("email.jobs", jobId.getBytes(StandardCharsets.UTF_8), original, Map.of("traceparent",
                "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));
        JsonNode result = kafka.awaitResult(jobId, Duration.ofSeconds(30));

        assertThat(result.path("status").asText()).isEqualTo("FAILED");
        assertThat(result.path("error").path("code").asText()).isEqualTo("RETRIES_EXHAUSTED");
        assertThat(result.path("attempts").asInt()).isEqualTo(3);
        assertThat(result.path("smtpCode").asInt()).isEqualTo(451);

        // attempt 1 waits in the first tier, attempt 2 in the second; the third outcome ends the job
        List<ConsumerRecord<byte[], byte[]>> first = kafka.on(RETRY_200MS, jobId);
        List<ConsumerRecord<byte[], byte[]>> second = kafka.on(RETRY_400MS, jobId);
        assertThat(first).hasSize(1);
        assertThat(second).hasSize(1);
        ConsumerRecord<byte[], byte[]> dlq = kafka.on("email.dlq", jobId).get(0);
        for (ConsumerRecord<byte[], byte[]> tier : List.of(first.get(0), second.get(0))) {
            assertThat(tier.value()).isEqualTo(original);
            assertThat(KafkaTestClient.header(tier, "source.topic")).isEqualTo("email.jobs");
            assertThat(KafkaTestClient.header(tier, "source.offset")).isEqualTo(KafkaTestClient.header(dlq, "source.offset"));
            assertThat(KafkaTestClient.header(tier, "traceparent")).startsWith("00-0af7651916cd43dd8448eb211c80319c");
        }
        assertThat(KafkaTestClient.header(first.get(0), "router.state")).contains("\"retryableOutcomes\":1");
        assertThat(KafkaTestClient.header(second.get(0), "router.state")).contains("\"retryableOutcomes\":2");

        // the dead letter is the original record, naming the jobs topic, not a retry topic
        assertThat(dlq.value()).isEqualTo(original);
        assertThat(KafkaTestClient.header(dlq, "source.topic")).isEqualTo("email.jobs");
        assertThat(KafkaTestClient.header(dlq, "attempts")).isEqualTo("3");
        assertThat(kafka.on("email.results", jobId)).hasSize(1);

        // each retry waited at least its tier's delay
        List<Instant> at = kafka.attempts(jobId).stream().map(a -> Instant.parse(a.path("at").asText())).toList();
        assertThat(at).hasSize(3);
        assertThat(Duration.between(at.get(0), at.get(1))).isGreaterThanOrEqualTo(Duration.ofMillis(200));
        assertThat(Duration.between(at.get(1), at.get(2))).isGreaterThanOrEqualTo(Duration.ofMillis(400));
    }

    @Test
    void aJobWaitingForItsRetryDoesNotHoldTheJobsBehindIt() {
        String retried = Jobs.newJobId("retried-once");
        String behind = Jobs.newJobId("behind");
        kafka.sendJob(retried, Jobs.json(Jobs.withFault(retried, "data-451-once")));
        kafka.sendJob(behind, Jobs.json(Jobs.job(behind)));

        JsonNode retriedResult = kafka.awaitResult(retried, Duration.ofSeconds(30));
        JsonNode behindResult = kafka.awaitResult(behind, Duration.ofSeconds(30));
        assertThat(retriedResult.path("status").asText()).isEqualTo("SENT");
        assertThat(retriedResult.path("attempts").asInt()).isEqualTo(2);
        assertThat(behindResult.path("status").asText()).isEqualTo("SENT");
        // the jobs topic has one partition in tests: the job behind was sent while the first one sat in its tier
        assertThat(kafka.on("email.results", behind).get(0).offset())
                .isLessThan(kafka.on("email.results", retried).get(0).offset());
    }

    @Test
    void carriesAJobLargerThanAKafkaDefaultRecordThroughTheTiersToTheDeadLetterTopic() {
        String jobId = Jobs.newJobId("large");
        byte[] attachment = new byte[3 * 1024 * 1024];
        new java.util.Random(7).nextBytes(attachment);
        com.fasterxml.jackson.databind.node.ObjectNode job = Jobs.withFault(jobId, "data-451");
        job.putArray("attachments").addObject().put("filename", "big.bin").put("contentType", "application/octet-stream")
                .put("contentBase64", java.util.Base64.getEncoder().encodeToString(attachment));
        byte[] original = Jobs.json(job).getBytes(StandardCharsets.UTF_8);
        assertThat(original.length).isGreaterThan(4 * 1024 * 1024);
        kafka.send("email.jobs", jobId.getBytes(StandardCharsets.UTF_8), original, Map.of());

        JsonNode result = kafka.awaitResult(jobId, Duration.ofSeconds(60));
        assertThat(result.path("status").asText()).isEqualTo("FAILED");
        assertThat(result.path("attempts").asInt()).isEqualTo(3);
        assertThat(kafka.on(RETRY_200MS, jobId).get(0).value()).isEqualTo(original);
        assertThat(kafka.on("email.dlq", jobId).get(0).value()).isEqualTo(original);
    }

    @Test
    void endsExpiredInsteadOfRetryingPastMaxAge() {
        String jobId = Jobs.newJobId("too-old");
        byte[] value = Jobs.json(Jobs.withFault(jobId, "data-451")).getBytes(StandardCharsets.UTF_8);
        // written 25 hours ago by its producer: one more retry would outlive max-age (24h)
        kafka.send("email.jobs", jobId.getBytes(StandardCharsets.UTF_8), value, Map.of(),
                Instant.now().minus(Duration.ofHours(25)));
        JsonNode result = kafka.awaitResult(jobId, Duration.ofSeconds(30));

        assertThat(result.path("status").asText()).isEqualTo("FAILED");
        assertThat(result.path("error").path("code").asText()).isEqualTo("EXPIRED");
        assertThat(result.path("attempts").asInt()).isEqualTo(1);
        assertThat(kafka.on(RETRY_200MS, jobId)).isEmpty();
        assertThat(KafkaTestClient.header(kafka.on("email.dlq", jobId).get(0), "error.code")).isEqualTo("EXPIRED");
    }
}
