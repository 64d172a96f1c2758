package io.submissionrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.submissionrouter.job.MessageIds;
import io.submissionrouter.testing.Jobs;
import io.submissionrouter.testing.KafkaTestClient;
import io.submissionrouter.testing.RouterTestBase;
import io.submissionrouter.testing.RouterTestResources;
import io.submissionrouter.testing.TestSmtpServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every topic the router writes refusing records (CONTRACT 8.1): its {@code max.message.bytes} lowered on the broker
 * so that every record is too large, then restored. Whatever Kafka refuses, no message is sent twice, nothing is
 * lost, the condition shows (log line, metric, health group {@code kafka-writes}), and the pipeline goes on by itself
 * once the topic takes records again. With {@code submission.kafka.write-retry-for=5s} in tests, a refusal that lasts
 * longer also has the job's record read again, and its pass found unsettled rather than run again. One record too
 * large for its topic, where the others fit, holds only its own job (CONTRACT 9.3).
 */
@QuarkusTest
class KafkaWriteFaultsTest extends RouterTestBase {

    private static final Duration REFUSED_FOR = Duration.ofSeconds(8);

    /**
     * A job of a kind that writes to the topic, what the SMTP server stores of it in the end, and whether its result
     * waits for the topic: the completion is written before anything else, and a retried job has no result before its
     * tier record is read, but attempt events and the dead letter go in one write with the result, so a refusal of
     * those does not hold the result back (the pass stays in flight until they are written too).
     */
    record Case(String topic, String kind, Consumer<ObjectNode> shape, int copiesBefore, int copiesAfter,
            String status, boolean resultWaits) {
        @Override
        public String toString() {
            return topic;
        }
    }

    static Stream<Arguments> topics() {
        return Stream.of(
                new Case("email.jobs.completed", "sent", job -> { }, 1, 1, "SENT", true),
                new Case("email.attempts", "sent", job -> { }, 1, 1, "SENT", false),
                new Case("email.results", "sent", job -> { }, 1, 1, "SENT", true),
                new Case("email.dlq", "invalid", job -> job.remove("subject"), 0, 0, "INVALID", false),
                new Case(RETRY_200MS, "retried", job -> job.putObject("headers").put("X-Test-Fault", "data-451-once"),
                        0, 1, "SENT", true))
                .map(c -> Arguments.of(c.topic(), c));
    }

    @AfterEach
    void takeRecordsAgain() {
        for (String topic : List.of("email.jobs.completed", "email.attempts", "email.results", "email.dlq",
                RETRY_200MS, WAIT_DEFAULT)) {
            restore(topic);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("topics")
    void aTopicThatRefusesRecordsForAWhileHoldsTheJobAndNeverSendsItAgain(String topic, Case c) throws Exception {
        refuse(topic);
        String jobId = Jobs.newJobId("refused-" + c.kind());
        ObjectNode job = Jobs.job(jobId);
        c.shape().accept(job);
        kafka.sendJob(jobId, Jobs.json(job));

        awaitRefusing(topic);
        Thread.sleep(REFUSED_FOR.toMillis()); // longer than write-retry-for: the job's record is read again meanwhile
        assertThat(copies(jobId)).as("copies while " + topic + " refuses").isEqualTo(c.copiesBefore());
        if (c.resultWaits()) {
            assertThat(kafka.on("email.results", jobId)).as("no result is written before what comes first").isEmpty();
        } else {
            assertThat(kafka.on("email.results", jobId)).as("the result, written once, not again with each retry of "
                    + topic).hasSize(1);
            assertThat(kafka.on(topic, jobId)).as("nothing on " + topic + " yet").isEmpty();
        }

        restore(topic);
        JsonNode result = kafka.awaitResult(jobId, Duration.ofSeconds(30));
        assertThat(result.path("status").asText()).isEqualTo(c.status());
        Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> RestAssured.get("/q/health/group/kafka-writes").statusCode() == 200);
        Thread.sleep(1000); // anything written twice would show by now
        assertThat(kafka.on("email.results", jobId)).as("one result").hasSize(1);
        assertThat(copies(jobId)).as("copies in the end").isEqualTo(c.copiesAfter());
        assertThat(kafka.on("email.dlq", jobId)).hasSize(c.status().equals("INVALID") ? 1 : 0);
        if (c.status().equals("INVALID")) {
            // refused by a topic that took less than it must, not for its own size: it waited, and kept its bytes
            assertThat(new String(kafka.on("email.dlq", jobId).get(0).value(), StandardCharsets.UTF_8))
                    .isEqualTo(Jobs.json(job));
            assertThat(KafkaTestClient.header(kafka.on("email.dlq", jobId).get(0), "error.code"))
                    .isEqualTo("MISSING_FIELD");
        }
        if (c.kind().equals("sent")) {
            assertThat(kafka.attempts(jobId)).extracting(a -> a.path("outcome").asText()).containsExactly("sent");
        }
        assertThat(Files.readString(Path.of(RouterTestResources.LOG_FILE)))
                .contains("Kafka refuses records on " + topic).contains("Kafka takes records on " + topic + " again");
    }

    @Test
    void aJobWaitingForItsGroupIsHeldWhileTheWaitingTopicRefusesIt() throws Exception {
        primary().mode(TestSmtpServer.Mode.REFUSE);
        fallback().mode(TestSmtpServer.Mode.REFUSE);
        refuse(WAIT_DEFAULT);
        String jobId = Jobs.newJobId("refused-wait");
        kafka.sendJob(jobId, Jobs.json(Jobs.job(jobId)));
        awaitRefusing(WAIT_DEFAULT);
        Thread.sleep(REFUSED_FOR.toMillis());
        assertThat(kafka.on(WAIT_DEFAULT, jobId)).isEmpty();

        restore(WAIT_DEFAULT);
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> !kafka.on(WAIT_DEFAULT, jobId).isEmpty());
        primary().mode(TestSmtpServer.Mode.UP);
        fallback().mode(TestSmtpServer.Mode.UP);
        JsonNode result = kafka.awaitResult(jobId, Duration.ofSeconds(60));
        assertThat(result.path("status").asText()).isEqualTo("SENT");
        assertThat(kafka.on(WAIT_DEFAULT, jobId)).as("written once").hasSize(1);
        assertThat(copies(jobId)).isEqualTo(1);
    }

    /**
     * A completion refused after the job failed over (the primary's session failed and was caught in the submit route):
     * the refusal is the idempotency topic's, not the failed SMTP endpoint's, so no new session starts until
     * completions can be written again.
     */
    @Test
    void aCompletionRefusedAfterAFailoverHoldsEveryNewSession() throws Exception {
        // the topic took completions before its max.message.bytes came down: records of that size are refused because
        // of the topic, not because of their own size (a record larger than any it took would hold only its job)
        String before = Jobs.newJobId("taken-before");
        kafka.sendJob(before, Jobs.json(Jobs.job(before)));
        assertThat(kafka.awaitResult(before, Duration.ofSeconds(30)).path("status").asText()).isEqualTo("SENT");
        primary().mode(TestSmtpServer.Mode.REFUSE);
        try {
            refuse("email.jobs.completed");
            String failedOver = Jobs.newJobId("refused-completion-failover");
            kafka.sendJob(failedOver, Jobs.json(Jobs.job(failedOver)));
            awaitRefusing("email.jobs.completed");
            assertThat(RestAssured.get("/q/health/group/kafka-writes").asString()).doesNotContain("smtp:");
            assertThat(copies(failedOver)).as("sent once, by the fallback").isEqualTo(1);

            String held = Jobs.newJobId("held-while-completions-refused");
            kafka.sendJob(held, Jobs.json(Jobs.job(held)));
            Thread.sleep(3000);
            assertThat(copies(held)).as("no session starts while completions cannot be written").isZero();

            restore("email.jobs.completed");
            for (String jobId : List.of(failedOver, held)) {
                assertThat(kafka.awaitResult(jobId, Duration.ofSeconds(30)).path("status").asText()).isEqualTo("SENT");
            }
            Thread.sleep(1000); // anything sent twice would show by now
            assertThat(copies(failedOver)).isEqualTo(1);
            assertThat(copies(held)).isEqualTo(1);
        } finally {
            primary().mode(TestSmtpServer.Mode.UP);
        }
    }

    @Test
    void aRetryPassWhoseResultIsRefusedIsNotRunAgain() throws Exception {
        String jobId = Jobs.newJobId("refused-retry-pass");
        ObjectNode job = Jobs.job(jobId);
        job.putObject("headers").put("X-Test-Fault", "data-451-once");
        refuse("email.results");
        kafka.sendJob(jobId, Jobs.json(job));
        // the first pass goes to the 200ms tier; the second (the retry consumer's) sends it and cannot write its result
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> copies(jobId) == 1);
        awaitRefusing("email.results");
        Thread.sleep(REFUSED_FOR.toMillis());
        assertThat(copies(jobId)).isEqualTo(1);

        restore("email.results");
        JsonNode result = kafka.awaitResult(jobId, Duration.ofSeconds(30));
        assertThat(result.path("status").asText()).isEqualTo("SENT");
        assertThat(result.path("attempts").asInt()).isEqualTo(2);
        Thread.sleep(1000);
        assertThat(kafka.on("email.results", jobId)).hasSize(1);
        assertThat(copies(jobId)).isEqualTo(1);
    }

    @Test
    void aRefusalThatLastsIsClassifiedCountedAndShownUntilTheTopicTakesRecordsAgain() throws Exception {
        refuse("email.results");
        String jobId = Jobs.newJobId("refused-long");
        kafka.sendJob(jobId, Jobs.json(Jobs.job(jobId)));
        awaitRefusing("email.results");
        String health = RestAssured.get("/q/health/group/kafka-writes").then().statusCode(503).extract().asString();
        assertThat(health).contains("email.results").contains("permanent").contains("RecordTooLargeException");
        // three times write-retry-for: the record is read again and again, and the job is never sent again
        Thread.sleep(3 * 5000 + 2000);
        assertThat(copies(jobId)).isEqualTo(1);
        String metrics = RestAssured.get("/q/metrics").then().statusCode(200).extract().asString();
        assertThat(metrics).containsPattern(
                "submission_kafka_write_failures_total\\{kind=\"permanent\",topic=\"email.results\"} [1-9]");
        assertThat(metrics).contains("submission_kafka_write_refusing{topic=\"email.results\"} 1.0");

        restore("email.results");
        assertThat(kafka.awaitResult(jobId, Duration.ofSeconds(30)).path("status").asText()).isEqualTo("SENT");
        Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> RestAssured.get("/q/health/group/kafka-writes").statusCode() == 200);
        assertThat(RestAssured.get("/q/metrics").asString())
                .contains("submission_kafka_write_refusing{topic=\"email.results\"} 0.0");
        assertThat(copies(jobId)).isEqualTo(1);
        assertThat(kafka.on("email.results", jobId)).hasSize(1);
    }

    /**
     * One record too large for its topic is the record's fault, not the topic's (CONTRACT 9.3): a job whose completion
     * (it echoes the job's 40 KB of metadata) exceeds the idempotency topic's max.message.bytes (16 KiB, far above
     * every other completion) stays held, sent once and never again, while the other jobs get their sessions and
     * results; once the topic takes it, its result follows.
     */
    @Test
    void oneCompletionTooLargeForItsTopicHoldsOnlyItsJob() throws Exception {
        String warm = Jobs.newJobId("fits");
        kafka.sendJob(warm, Jobs.json(Jobs.job(warm)));
        assertThat(kafka.awaitResult(warm, Duration.ofSeconds(30)).path("status").asText()).isEqualTo("SENT");
        alter("email.jobs.completed", new AlterConfigOp(new ConfigEntry("max.message.bytes", "16384"),
                AlterConfigOp.OpType.SET));
        String big = Jobs.newJobId("too-large-completion");
        ObjectNode job = Jobs.job(big);
        // 40 KB within the limits of metadata (values of at most 16384 characters, 64 KiB in all), so the job is valid
        ObjectNode metadata = job.putObject("metadata");
        for (int i = 0; i < 4; i++) {
            metadata.put("blob" + i, "x".repeat(10_000));
        }
        kafka.sendJob(big, Jobs.json(job));
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> copies(big) == 1);
        awaitRefusing("email.jobs.completed");

        List<String> others = List.of(Jobs.newJobId("fits-a"), Jobs.newJobId("fits-b"), Jobs.newJobId("fits-c"));
        others.forEach(jobId -> kafka.sendJob(jobId, Jobs.json(Jobs.job(jobId))));
        for (String jobId : others) {
            assertThat(kafka.awaitResult(jobId, Duration.ofSeconds(30)).path("status").asText())
                    .as("a job whose records fit is not held by another's: " + jobId).isEqualTo("SENT");
        }
        assertThat(kafka.on("email.results", big)).as("the big job's result waits for its completion").isEmpty();
        assertThat(RestAssured.get("/q/health/group/kafka-writes").then().statusCode(503).extract().asString())
                .contains("email.jobs.completed").contains("RecordTooLargeException");

        restore("email.jobs.completed");
        assertThat(kafka.awaitResult(big, Duration.ofSeconds(30)).path("status").asText()).isEqualTo("SENT");
        Thread.sleep(1000); // anything sent twice would show by now
        for (String jobId : Stream.concat(Stream.of(big), others.stream()).toList()) {
            assertThat(copies(jobId)).as("sent once: " + jobId).isEqualTo(1);
            assertThat(kafka.on("email.results", jobId)).as("one result: " + jobId).hasSize(1);
        }
    }

    private static void awaitRefusing(String topic) {
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
            var response = RestAssured.get("/q/health/group/kafka-writes");
            return response.statusCode() == 503 && response.asString().contains(topic);
        });
    }

    private static long copies(String jobId) {
        String messageId = MessageIds.of(jobId, "router.test");
        return Stream.concat(primary().received().stream(), fallback().received().stream())
                .filter(r -> r.text().contains(messageId)).count();
    }

    /** Every record is larger than the topic takes. */
    private static void refuse(String topic) {
        alter(topic, new AlterConfigOp(new ConfigEntry("max.message.bytes", "1"), AlterConfigOp.OpType.SET));
    }

    /** The broker's default again. */
    private static void restore(String topic) {
        alter(topic, new AlterConfigOp(new ConfigEntry("max.message.bytes", ""), AlterConfigOp.OpType.DELETE));
    }

    private static void alter(String topic, AlterConfigOp op) {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", RouterTestResources.kafka().bootstrapServers()))) {
            if (!admin.listTopics().names().get().contains(topic)) {
                admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
            }
            admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, topic), List.of(op)))
                    .all().get();
        } catch (Exception e) {
            throw new IllegalStateException("cannot change " + topic, e);
        }
    }
}
