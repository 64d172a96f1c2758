package io.submissionrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.submissionrouter.testing.Jobs;
import io.submissionrouter.testing.RouterTestBase;
import io.submissionrouter.testing.RouterTestResources;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.quota.ClientQuotaAlteration;
import org.apache.kafka.common.quota.ClientQuotaEntity;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * A partition of the jobs topic given to the intake in a real rebalance is held where it starts until the router's
 * idempotency tail has read the completed jobIds to the topic's end (JobsRebalances, CompletedJobs.readToEnd,
 * PartitionProgress.holdAtStart), so a job another replica completed is answered DUPLICATE, never sent again.
 * <p>
 * How: a plain consumer joins the router's consumer group and takes the jobs topic's one partition (its client id
 * sorts first, and the range assignor gives the partition to the first member). Meanwhile "another replica" (this test)
 * writes a burst of completions to the idempotency topic, the completion of job K last, and a new record of K to the
 * jobs topic, while the broker holds every consumer to a low byte rate (a client quota, as a broker under load or a
 * quota would): the router's tail takes many seconds for the burst. The plain consumer leaves without committing: the
 * partition goes back to the intake while K's completion is among the records the tail has not read.
 */
@QuarkusTest
class RebalanceHoldTest extends RouterTestBase {

    private static final String JOBS = "email.jobs";
    private static final String IDEMPOTENCY = "email.jobs.completed";
    private static final String GROUP = "smtp-submission-router";
    private static final String HELD = "held until the completed jobIds are read to the idempotency topic's end";
    /** Completions of other jobs written just before the one the test is about: about 3 MB. */
    private static final int BURST = 12_000;
    /** The consumers' byte rate while the burst is read: the tail needs well over 10 s for it. */
    private static final int SLOW_READS = 100_000;

    @Test
    void aJobCompletedElsewhereThatTheTailHasNotReadYetIsADuplicateAfterARebalanceNeverSentAgain() throws Exception {
        String warmUp = Jobs.newJobId("before-rebalance");
        kafka.sendJob(warmUp, Jobs.json(Jobs.job(warmUp)));
        assertThat(kafka.awaitResult(warmUp, Duration.ofSeconds(60)).path("status").asText()).isEqualTo("SENT");

        String jobId = Jobs.newJobId("completed-elsewhere");
        long heldBefore = heldLines();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", RouterTestResources.kafka().bootstrapServers()));
                KafkaProducer<String, byte[]> producer = producer()) {
            try {
                // every consumer reads at most this fast, the router's tail too: the burst takes it many seconds
                consumerByteRate(admin, (double) SLOW_READS);
                rebalanceWhileTheTailReads(producer, jobId);
                Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                        .until(() -> heldLines() > heldBefore);
                assertThat(kafka.on("email.results", jobId)).as("nothing taken while held").isEmpty();
            } finally {
                consumerByteRate(admin, null);
            }
        }

        JsonNode result = kafka.awaitResult(jobId, Duration.ofSeconds(90));
        assertThat(result.path("status").asText()).isEqualTo("DUPLICATE");
        assertThat(result.path("originalStatus").asText()).isEqualTo("SENT");
        assertThat(copiesOf(jobId)).as("never sent").isZero();
        assertThat(kafka.on("email.results", jobId)).as("one result").hasSize(1);

        // the partition goes on once the tail has caught up
        String after = Jobs.newJobId("after-rebalance");
        kafka.sendJob(after, Jobs.json(Jobs.job(after)));
        assertThat(kafka.awaitResult(after, Duration.ofSeconds(60)).path("status").asText()).isEqualTo("SENT");
        assertThat(copiesOf(after)).isEqualTo(1);
        assertThat(copiesOf(jobId)).as("never sent").isZero();
    }

    /**
     * A plain consumer takes the partition from the intake; {@link #BURST} completions of other jobs, then the one of
     * {@code jobId} (completed by another replica from a record of its own), then a new record of {@code jobId}; the
     * plain consumer leaves without committing, and the partition goes back to the intake.
     */
    private static void rebalanceWhileTheTailReads(KafkaProducer<String, byte[]> producer, String jobId)
            throws Exception {
        TopicPartition partition = new TopicPartition(JOBS, 0);
        try (KafkaConsumer<byte[], byte[]> other = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, RouterTestResources.kafka().bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, GROUP,
                // member ids begin with the client id: this one sorts before the router's consumers
                ConsumerConfig.CLIENT_ID_CONFIG, "0-rebalance-test-" + UUID.randomUUID(),
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
                ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            other.subscribe(List.of(JOBS));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!other.assignment().contains(partition)) {
                assertThat(System.nanoTime() - deadline).as("the plain consumer got the partition").isNegative();
                other.poll(Duration.ofMillis(100));
            }
            String origin = UUID.randomUUID().toString(); // the other replica's run
            String burstId = "burst-" + UUID.randomUUID() + "-";
            for (int i = 0; i < BURST; i++) {
                producer.send(completion(burstId + i, i, origin));
            }
            producer.send(completion(jobId, 1L << 41, origin)).get();
            kafka.sendJob(jobId, Jobs.json(Jobs.job(jobId)));
            other.poll(Duration.ofMillis(10)); // stays in the group until here; leaves as it closes
        }
    }

    /** The quota is gone for the tests after this one, even if removing it in the test failed. */
    @AfterAll
    static void quotaRemoved() throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", RouterTestResources.kafka().bootstrapServers()))) {
            consumerByteRate(admin, null);
        }
    }

    /** Sets (null: removes) the broker's default {@code consumer_byte_rate} quota of every client id. */
    private static void consumerByteRate(Admin admin, Double bytesPerSecond) throws Exception {
        ClientQuotaEntity everyClient = new ClientQuotaEntity(Collections.singletonMap(ClientQuotaEntity.CLIENT_ID,
                null));
        admin.alterClientQuotas(List.of(new ClientQuotaAlteration(everyClient,
                List.of(new ClientQuotaAlteration.Op("consumer_byte_rate", bytesPerSecond))))).all().get();
    }

    /** A completion as another replica writes it: the job SENT from its record at {@code offset} of the jobs topic. */
    private static ProducerRecord<String, byte[]> completion(String jobId, long offset, String origin) {
        String ref = "{\"topic\":\"" + JOBS + "\",\"partition\":0,\"offset\":" + (offset + (1L << 42)) + "}";
        String value = "{\"status\":\"SENT\",\"messageId\":\"<" + UUID.randomUUID() + "@router.test>\","
                + "\"completedAt\":\"" + Instant.now() + "\",\"source\":" + ref + ",\"done\":true,"
                + "\"pass\":" + ref + "}";
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(IDEMPOTENCY, jobId,
                value.getBytes(StandardCharsets.UTF_8));
        record.headers().add("origin", origin.getBytes(StandardCharsets.US_ASCII));
        return record;
    }

    private static KafkaProducer<String, byte[]> producer() {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, RouterTestResources.kafka().bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.LINGER_MS_CONFIG, "20"),
                new StringSerializer(), new ByteArraySerializer());
    }

    /** Lines of the router's log that say a partition of the jobs topic was held for the tail. */
    private static long heldLines() throws IOException {
        try (var lines = Files.lines(Path.of(RouterTestResources.LOG_FILE), StandardCharsets.UTF_8)) {
            return lines.filter(l -> l.contains(HELD) && l.contains(JOBS + "-0")).count();
        }
    }

    private static long copiesOf(String jobId) {
        return primary().received().stream().filter(r -> r.text().contains(jobId)).count()
                + fallback().received().stream().filter(r -> r.text().contains(jobId)).count();
    }
}
