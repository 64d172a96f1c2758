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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
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
