package io.submissionrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.job.MessageIds;
import io.submissionrouter.testing.Jobs;
import io.submissionrouter.testing.KafkaTestClient;
import io.submissionrouter.testing.RouterTestBase;
import io.submissionrouter.testing.RouterTestResources;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.camel.CamelContext;
import org.apache.camel.ServiceStatus;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A job's record read again after the job finished, because its offset was not committed: the intake's consumer
 * group is moved back to the record, as when a commit was lost or an operator reset the group's offsets. The intake
 * is stopped (its consumers leave the group, which an offset change needs), the group's offset of the job's partition
 * set to the job's record, and the intake started again. The record is read again; the job is not sent again
 * (CONTRACT 8.1). Its own record read again after its pass ended writes the result stored in its completion again,
 * as it was (same {@code ce_id}), not a {@code DUPLICATE} (README, "Delivery guarantees": a record read again
 * may not have had its result written; {@code DUPLICATE} answers another record of a completed jobId, IdempotencyTest).
 * <p>
 * CrashRecoveryProcessIT kills the packaged router with jobs in flight and bounds what is sent again by the jobs in
 * flight (CONTRACT 8.3); this test has one job, finished and committed, read again by the same process: it must be
 * sent exactly once, and its result be the same record again.
 */
@QuarkusTest
class UncommittedJobReadAgainTest extends RouterTestBase {

    @Inject
    CamelContext camel;

    @Inject
    SubmissionConfig config;

    @Test
    void aFinishedJobReadAgainBecauseItsOffsetWasNotCommittedIsNotSentAgainAndItsResultIsWrittenAgainAsItWas()
            throws Exception {
        String group = config.consumer().groupId();
        String jobId = Jobs.newJobId("read-again");
        kafka.sendJob(jobId, Jobs.json(Jobs.job(jobId)));
        assertThat(kafka.awaitResult(jobId, Duration.ofSeconds(30)).path("status").asText()).isEqualTo("SENT");
        ConsumerRecord<byte[], byte[]> record = jobRecord(jobId);
        TopicPartition partition = new TopicPartition(record.topic(), record.partition());

        try (Admin admin = Admin.create(Map.of("bootstrap.servers", RouterTestResources.kafka().bootstrapServers()))) {
            // the router committed past the job (it finished)
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> committed(admin, group, partition)
                    > record.offset());
            camel.getRouteController().stopRoute("intake");
            try {
                Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> admin.describeConsumerGroups(
                        List.of(group)).all().get().get(group).members().isEmpty());
                admin.alterConsumerGroupOffsets(group, Map.of(partition, new OffsetAndMetadata(record.offset())))
                        .all().get();
                assertThat(committed(admin, group, partition)).isEqualTo(record.offset());
            } finally {
                camel.getRouteController().startRoute("intake");
            }
            Awaitility.await().atMost(Duration.ofSeconds(30))
                    .until(() -> camel.getRouteController().getRouteStatus("intake") == ServiceStatus.Started);

            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> kafka.on("email.results", jobId).size() >= 2);
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> committed(admin, group, partition)
                    > record.offset());
        }
        Thread.sleep(2000); // a further result or message would show by now
        List<ConsumerRecord<byte[], byte[]>> results = kafka.on("email.results", jobId);
        assertThat(results).extracting(r -> KafkaTestClient.json(r).path("status").asText())
                .containsExactly("SENT", "SENT");
        assertThat(KafkaTestClient.header(results.get(1), "ce_id")).as("the same result again")
                .isEqualTo(KafkaTestClient.header(results.get(0), "ce_id"));
        assertThat(results.get(1).value()).isEqualTo(results.get(0).value());
        assertThat(copies(jobId)).as("one SMTP message").isEqualTo(1);
        assertThat(kafka.attempts(jobId)).extracting(a -> a.path("outcome").asText()).containsExactly("sent");
        assertThat(Files.readString(Path.of(RouterTestResources.LOG_FILE))).contains("job=" + jobId
                + " status=SENT: its record was read again after the job ended");
    }

    /** The job's record on the jobs topic (the shared observer does not read that topic). */
    private static ConsumerRecord<byte[], byte[]> jobRecord(String jobId) {
        KafkaTestClient jobs = new KafkaTestClient(RouterTestResources.kafka().bootstrapServers(),
                List.of("email.jobs"));
        try {
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> !jobs.on("email.jobs", jobId).isEmpty());
            return jobs.on("email.jobs", jobId).get(0);
        } finally {
            jobs.close();
        }
    }

    private static long committed(Admin admin, String group, TopicPartition partition) throws Exception {
        OffsetAndMetadata offset = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get()
                .get(partition);
        return offset == null ? -1 : offset.offset();
    }

    private static long copies(String jobId) {
        String messageId = MessageIds.of(jobId, "router.test");
        return Stream.concat(primary().received().stream(), fallback().received().stream())
                .filter(r -> r.text().contains(messageId)).count();
    }
}
