package io.submissionrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.junit.QuarkusTest;
import io.submissionrouter.testing.Jobs;
import io.submissionrouter.testing.KafkaTestClient;
import io.submissionrouter.testing.RouterTestBase;
import io.submissionrouter.testing.RouterTestResources;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Jobs read again from a retry tier (CONTRACT 5.4, 8.1): a tier record written twice (a write the old producer
 * delivered and the route wrote again on its successor) or read after the job moved on never sends the job again to
 * a recipient that has it, and the job ends with one result. Test settings: delays 200ms,400ms; max-attempts 3.
 */
@QuarkusTest
class ResumedJobsTest extends RouterTestBase {

    private static final String RETRY_GROUP = "smtp-submission-router-retry-default";

    @Test
    void aTierRecordWrittenTwiceSendsNoRecipientASecondCopyAndEndsWithOneResult() {
        String jobId = Jobs.newJobId("tier-copy");
        ObjectNode job = Jobs.withFault(jobId, "data-451-once");
        // the test server answers 451 to every RCPT of a local part starting with "defer", and (data-451-once) 451 to
        // the first DATA of each Message-ID: the job's first pass defers both, its first retry accepts ada only
        job.putArray("to").add("ada@example.org").add("defer-bob@example.org");
        kafka.sendJob(jobId, Jobs.json(job));
        Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> copiesTo("ada@example.org") == 1);

        // the first retry's record, produced again with the same headers: it still says ada is pending
        ConsumerRecord<byte[], byte[]> firstRetry = kafka.on(RETRY_200MS, jobId).get(0);
        assertThat(KafkaTestClient.header(firstRetry, "router.state")).contains("\"accepted\":[]");
        kafka.send(RETRY_200MS, firstRetry.key(), firstRetry.value(), headers(firstRetry));

        JsonNode result = kafka.awaitResult(jobId, Duration.ofSeconds(20));
        awaitRetriesConsumed();
        assertThat(copiesTo("ada@example.org")).as("ada got the message once").isEqualTo(1);
        assertThat(kafka.on("email.results", jobId)).as("one result").hasSize(1);
        assertThat(result.path("status").asText()).isEqualTo("SENT");
        assertThat(result.path("acceptedRecipients")).extracting(JsonNode::asText).containsExactly("ada@example.org");
        assertThat(result.path("failedRecipients")).extracting(r -> r.path("address").asText())
                .containsExactly("defer-bob@example.org");
    }

    /**
     * A job read again after a server accepted it for some recipients, whose input no longer passes a check it passed
     * then (here its metadata is over max-metadata-bytes, as when the limit was lowered between its passes): it is
     * completed, so it is never INVALID; it ends SENT as far as it got, the recipients still pending failed.
     */
    @Test
    void aJobAcceptedForSomeRecipientsThatFailsACheckWhenReadAgainEndsSentNotInvalid() {
        String jobId = Jobs.newJobId("late-check");
        ObjectNode job = Jobs.job(jobId);
        job.putArray("to").add("ada@example.org").add("defer-bob@example.org");
        ObjectNode metadata = job.putObject("metadata");
        for (int i = 0; i < 7; i++) {
            metadata.put("blob" + i, "x".repeat(10_000)); // 70 KB as JSON, over max-metadata-bytes (64 KiB)
        }
        // its tier record as the pass that had ada accepted wrote it (bob got 451)
        String state = "{\"receivedAt\":\"" + Instant.now() + "\",\"attempts\":1,\"retryableOutcomes\":1,"
                + "\"waits\":0,\"possibleDuplicate\":false,\"pending\":[\"defer-bob@example.org\"],"
                + "\"accepted\":[\"ada@example.org\"],\"rejected\":[],\"pendingReplies\":[{\"address\":"
                + "\"defer-bob@example.org\",\"smtpCode\":451,\"smtpEnhancedCode\":\"4.2.0\",\"smtpReply\":"
                + "\"try again later\"}],\"failedEverywhere\":0}";
        kafka.send(RETRY_200MS, jobId.getBytes(StandardCharsets.UTF_8), Jobs.json(job).getBytes(StandardCharsets.UTF_8),
                Map.of("source.topic", "email.jobs", "source.partition", "0", "source.offset", // a record of its own
                        String.valueOf(ThreadLocalRandom.current().nextLong(1L << 40, 1L << 50)), "source.timestamp",
                        String.valueOf(System.currentTimeMillis()), "router.relay", "default", "router.state", state));

        JsonNode result = kafka.awaitResult(jobId, Duration.ofSeconds(20));
        assertThat(result.path("status").asText()).isEqualTo("SENT");
        assertThat(result.path("acceptedRecipients")).extracting(JsonNode::asText).containsExactly("ada@example.org");
        assertThat(result.path("failedRecipients")).extracting(r -> r.path("address").asText() + " "
                + r.path("smtpCode").asInt()).containsExactly("defer-bob@example.org 451");
        assertThat(result.path("error").path("code").asText()).isEqualTo("TOO_LARGE");
        assertThat(result.path("metadata").isEmpty()).as("over the bound: not echoed").isTrue();
        assertThat(result.path("messageId").asText()).isNotEmpty();
        assertThat(kafka.on("email.dlq", jobId)).as("completed: no dead letter to replay").isEmpty();
        assertThat(primary().received()).as("nothing sent").isEmpty();
    }

    private static long copiesTo(String recipient) {
        return primary().received().stream().filter(r -> r.recipients().contains(recipient)).count();
    }

    private static Map<String, String> headers(ConsumerRecord<byte[], byte[]> record) {
        Map<String, String> out = new HashMap<>();
        for (Header h : record.headers()) {
            out.put(h.key(), new String(h.value(), StandardCharsets.UTF_8));
        }
        return out;
    }

    /** Waits until the retry consumer of the default group has committed every record now on the retry tiers. */
    private static void awaitRetriesConsumed() {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, RouterTestResources.kafka().bootstrapServers());
        try (Admin admin = Admin.create(props)) {
            Map<TopicPartition, OffsetSpec> latest = admin.describeTopics(List.of(RETRY_200MS, RETRY_400MS))
                    .allTopicNames().get().values().stream().flatMap(t -> t.partitions().stream()
                            .map(p -> new TopicPartition(t.name(), p.partition())))
                    .collect(Collectors.toMap(tp -> tp, tp -> OffsetSpec.latest()));
            Map<TopicPartition, Long> ends = new HashMap<>();
            admin.listOffsets(latest).all().get().forEach((tp, info) -> ends.put(tp, info.offset()));
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> {
                Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(RETRY_GROUP)
                        .partitionsToOffsetAndMetadata().get();
                return ends.entrySet().stream().allMatch(e -> committed.get(e.getKey()) != null
                        && committed.get(e.getKey()).offset() >= e.getValue());
            });
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the retry consumer's offsets", e);
        }
    }
}
