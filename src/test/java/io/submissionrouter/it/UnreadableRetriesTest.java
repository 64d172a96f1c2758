package io.submissionrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.submissionrouter.testing.Jobs;
import io.submissionrouter.testing.KafkaTestClient;
import io.submissionrouter.testing.RouterTestBase;
import io.submissionrouter.testing.RouterTestResources;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.camel.CamelContext;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A record on a retry tier that cannot be read as the router wrote it, with a good job behind it on the same
 * partition (the tiers have one partition in tests, as the jobs topic): bad input never stops the pipeline. The good
 * job gets its one result and its one SMTP message; the bad record ends as its input allows (an INVALID result and a
 * dead letter for bytes that are not a job), once, and the tier's partition is committed past both. Test settings:
 * delays 200ms,400ms; max-attempts 3.
 */
@QuarkusTest
class UnreadableRetriesTest extends RouterTestBase {

    private static final String RETRY_GROUP = "smtp-submission-router-retry-default";
    private static final String BULK_RETRY_GROUP = "smtp-submission-router-retry-bulk";

    @Inject
    CamelContext camel;

    /** The tiers exist and their routes read them once the intake has started (the retries routes start first). */
    @BeforeEach
    void routerStarted() {
        Awaitility.await().atMost(Duration.ofSeconds(60))
                .until(() -> camel.getRouteController().getRouteStatus("intake").isStarted());
    }

    @Test
    void bytesThatAreNotAJobOnATierEndInvalidInTheDeadLetterTopicAndTheJobBehindIsSentOnce() {
        assertThat(partitions(RETRY_200MS)).as("the bad record and the good job share one partition").isEqualTo(1);
        String badId = Jobs.newJobId("not-a-job");
        byte[] garbage = "\u0000\u0001 these bytes are not a job {".getBytes(StandardCharsets.UTF_8);
        String goodId = Jobs.newJobId("behind-garbage");
        kafka.send(RETRY_200MS, badId.getBytes(StandardCharsets.UTF_8), garbage, tierHeaders(validState()));
        sendGoodJob(goodId);

        JsonNode good = kafka.awaitResult(goodId, Duration.ofSeconds(30));
        JsonNode bad = kafka.awaitResult(badId, Duration.ofSeconds(30));
        awaitTierCommittedToItsEnd();

        assertThat(good.path("status").asText()).isEqualTo("SENT");
        assertThat(copiesOf(goodId)).as("the good job is sent once").isEqualTo(1);
        assertThat(kafka.on("email.results", goodId)).as("one result for the good job").hasSize(1);

        assertThat(bad.path("status").asText()).isEqualTo("INVALID");
        assertThat(bad.path("error").path("code").asText()).isEqualTo("MALFORMED_JSON");
        assertThat(kafka.on("email.results", badId)).as("one result for the bad record").hasSize(1);
        List<ConsumerRecord<byte[], byte[]>> dlq = kafka.on("email.dlq", badId);
        assertThat(dlq).as("one dead letter").hasSize(1);
        assertThat(dlq.get(0).value()).as("the original bytes").isEqualTo(garbage);
        assertThat(KafkaTestClient.header(dlq.get(0), "error.code")).isEqualTo("MALFORMED_JSON");
        assertThat(KafkaTestClient.header(dlq.get(0), "source.topic")).isEqualTo("email.jobs");
        assertThat(primary().received().stream().anyMatch(r -> r.text().contains(badId))).isFalse();
    }

    /**
     * A tier record whose {@code router.state} header is not JSON: its job starts afresh (DeferredRecords.read: the
     * state is the router's own, and a job a server accepted for anyone is completed, so starting afresh resends to
     * nobody); it is valid, so it is sent once and ends SENT, and the job behind it too.
     */
    @Test
    void aJobWhoseStateHeaderIsNotJsonStartsAfreshOnceAndTheJobBehindIsSentOnce() {
        String oddId = Jobs.newJobId("state-not-json");
        String goodId = Jobs.newJobId("behind-state-not-json");
        kafka.send(RETRY_200MS, oddId.getBytes(StandardCharsets.UTF_8),
                Jobs.json(Jobs.job(oddId)).getBytes(StandardCharsets.UTF_8), tierHeaders("{\"attempts\": one"));
        sendGoodJob(goodId);

        JsonNode good = kafka.awaitResult(goodId, Duration.ofSeconds(30));
        JsonNode odd = kafka.awaitResult(oddId, Duration.ofSeconds(30));
        awaitTierCommittedToItsEnd();

        assertThat(good.path("status").asText()).isEqualTo("SENT");
        assertThat(copiesOf(goodId)).isEqualTo(1);
        assertThat(odd.path("status").asText()).isEqualTo("SENT");
        assertThat(odd.path("attempts").asInt()).as("counted afresh").isEqualTo(1);
        assertThat(copiesOf(oddId)).as("sent once").isEqualTo(1);
        assertThat(kafka.on("email.results", oddId)).hasSize(1);
        assertThat(kafka.on("email.results", goodId)).hasSize(1);
    }

    /**
     * A tier record whose {@code router.state} is JSON the router can bind but that lacks what the router always
     * writes ({@code receivedAt}, the counters, the recipients): written by hand, or by an older or a broken writer.
     * Whatever the router makes of it (afresh, or INVALID with a dead letter), the job is sent at most once and ends
     * with one result, and the job behind it is sent once: the pipeline goes on. Jobs of the relay group bulk, whose
     * retries have a consumer group of their own: this record cannot hold the commits of the default group's retries,
     * which the other tests wait for; and the group is committed past it at the end, so that a job run again and
     * again never reaches the servers of later tests.
     */
    @Test
    void aJobWhoseStateLacksItsFieldsIsSentAtMostOnceAndEndsWithOneResult() {
        String oddId = Jobs.newJobId("state-empty");
        String goodId = Jobs.newJobId("behind-state-empty");
        kafka.send(RETRY_200MS, oddId.getBytes(StandardCharsets.UTF_8),
                Jobs.json(Jobs.job(oddId).put("relay", "bulk")).getBytes(StandardCharsets.UTF_8),
                tierHeaders("bulk", "{}"));
        kafka.send(RETRY_200MS, goodId.getBytes(StandardCharsets.UTF_8),
                Jobs.json(Jobs.job(goodId).put("relay", "bulk")).getBytes(StandardCharsets.UTF_8),
                tierHeaders("bulk", validState()));

        try {
            JsonNode good = kafka.awaitResult(goodId, Duration.ofSeconds(30));
            assertThat(good.path("status").asText()).isEqualTo("SENT");
            assertThat(copiesOf(goodId)).isEqualTo(1);

            // long enough for a pass that fails to run twice more (InFlightJobs: again after 1 s, then 2 s)
            Awaitility.await().pollDelay(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(30)).until(() -> true);
            assertThat(copiesOf(oddId)).as("sent at most once").isLessThanOrEqualTo(1);
            JsonNode odd = kafka.awaitResult(oddId, Duration.ofSeconds(30));
            assertThat(kafka.on("email.results", oddId)).as("one result").hasSize(1);
            if (odd.path("status").asText().equals("INVALID")) {
                assertThat(kafka.on("email.dlq", oddId)).as("an INVALID job is dead-lettered").hasSize(1);
                assertThat(copiesOf(oddId)).isZero();
            } else {
                assertThat(odd.path("status").asText()).isEqualTo("SENT");
                assertThat(copiesOf(oddId)).isEqualTo(1);
            }
        } finally {
            skipPastTheTier(RETRY_200MS, BULK_RETRY_GROUP);
        }
    }

    /** A valid job on the tier as a pass of the router would have written it: due at once (its tier is 200 ms). */
    private static void sendGoodJob(String jobId) {
        kafka.send(RETRY_200MS, jobId.getBytes(StandardCharsets.UTF_8),
                Jobs.json(Jobs.job(jobId)).getBytes(StandardCharsets.UTF_8), tierHeaders(validState()));
    }

    /** The headers the router writes on a tier record (DeferredRecords.record), with {@code state}. */
    private static Map<String, String> tierHeaders(String state) {
        return tierHeaders("default", state);
    }

    private static Map<String, String> tierHeaders(String relay, String state) {
        Map<String, String> headers = new HashMap<>();
        headers.put("source.topic", "email.jobs");
        headers.put("source.partition", "0");
        // a record of its own on the jobs topic, which no other test's record has
        headers.put("source.offset", String.valueOf(ThreadLocalRandom.current().nextLong(1L << 40, 1L << 50)));
        headers.put("source.timestamp", String.valueOf(System.currentTimeMillis()));
        headers.put("router.relay", relay);
        headers.put("router.state", state);
        return headers;
    }

    /** The state a first pass that got a 451 for the job's only recipient writes. */
    private static String validState() {
        return "{\"receivedAt\":\"" + Instant.now() + "\",\"attempts\":1,\"retryableOutcomes\":1,\"waits\":0,"
                + "\"possibleDuplicate\":false,\"pending\":[\"ada@example.org\"],\"accepted\":[],\"rejected\":[],"
                + "\"pendingReplies\":[{\"address\":\"ada@example.org\",\"smtpCode\":451,\"smtpEnhancedCode\":"
                + "\"4.2.0\",\"smtpReply\":\"try again later\"}],\"failedEverywhere\":0}";
    }

    private static long copiesOf(String jobId) {
        return primary().received().stream().filter(r -> r.text().contains(jobId)).count()
                + fallback().received().stream().filter(r -> r.text().contains(jobId)).count()
                + bulk().received().stream().filter(r -> r.text().contains(jobId)).count();
    }

    private static int partitions(String topic) {
        try (Admin admin = admin()) {
            return admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
        } catch (Exception e) {
            throw new IllegalStateException("cannot describe " + topic, e);
        }
    }

    /** Waits until the default group's retries have committed the first tier to its end: nothing is stuck there. */
    private static void awaitTierCommittedToItsEnd() {
        TopicPartition tp = new TopicPartition(RETRY_200MS, 0);
        try (Admin admin = admin()) {
            long end = admin.listOffsets(Map.of(tp, OffsetSpec.latest())).all().get().get(tp).offset();
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> {
                OffsetAndMetadata committed = admin.listConsumerGroupOffsets(RETRY_GROUP)
                        .partitionsToOffsetAndMetadata().get().get(tp);
                return committed != null && committed.offset() >= end;
            });
        } catch (Exception e) {
            throw new IllegalStateException("the retries of the default group did not commit " + tp + " to its end",
                    e);
        }
    }

    /**
     * Commits {@code group} past every record now on {@code topic}: a plain consumer joins the group and takes the
     * partition (its client id sorts first, and the range assignor gives it to the first member), so the router's
     * consumer hands back the jobs of that partition that wait to run again; the router then reads on from the end.
     * Keeps a job that would run again and again (and be sent each time) from reaching the servers of later tests.
     */
    private static void skipPastTheTier(String topic, String group) {
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaConsumer<byte[], byte[]> other = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, RouterTestResources.kafka().bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, group,
                ConsumerConfig.CLIENT_ID_CONFIG, "0-cleanup-" + UUID.randomUUID(),
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
                ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            other.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!other.assignment().contains(tp) && System.nanoTime() < deadline) {
                other.poll(Duration.ofMillis(100));
            }
            if (other.assignment().contains(tp)) {
                other.commitSync(Map.of(tp, new OffsetAndMetadata(other.endOffsets(List.of(tp)).get(tp))));
            }
        }
    }

    private static Admin admin() {
        return Admin.create(Map.of("bootstrap.servers", RouterTestResources.kafka().bootstrapServers()));
    }
}
