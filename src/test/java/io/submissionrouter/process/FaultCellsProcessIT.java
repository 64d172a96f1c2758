package io.submissionrouter.process;

import static io.submissionrouter.testing.FaultSmtpServer.Action.close;
import static io.submissionrouter.testing.FaultSmtpServer.Action.delay;
import static io.submissionrouter.testing.FaultSmtpServer.Action.reply;
import static io.submissionrouter.testing.FaultSmtpServer.Action.silent;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.submissionrouter.job.MessageIds;
import io.submissionrouter.testing.EmbeddedKafka;
import io.submissionrouter.testing.FaultSmtpServer;
import io.submissionrouter.testing.FaultSmtpServer.Step;
import io.submissionrouter.testing.Jobs;
import io.submissionrouter.testing.KafkaTestClient;
import io.submissionrouter.testing.RouterProcess;
import io.submissionrouter.testing.TestSmtpServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Cells of the fault matrix (FaultMatrixTest) and of the Kafka write faults through the packaged router, configured by
 * environment alone, as the defects of issue 13 were seen: the relay group {@code faults} has a scriptable primary
 * and a well-behaved fallback.
 */
class FaultCellsProcessIT {

    private static final Path LOG = Path.of("target/process-it-faults.log");
    private static EmbeddedKafka kafka;
    private static TestSmtpServer primary;
    private static TestSmtpServer fallback;
    private static FaultSmtpServer faulty;
    private static FaultSmtpServer healthy;
    private static KafkaTestClient client;
    private static RouterProcess router;

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.start();
        primary = TestSmtpServer.start("primary");
        fallback = TestSmtpServer.start("fallback");
        faulty = FaultSmtpServer.startStartTls("faulty");
        healthy = FaultSmtpServer.startStartTls("healthy");
        client = new KafkaTestClient(kafka.bootstrapServers(), List.of("email.results", "email.attempts", "email.dlq"));
        router = new RouterProcess(kafka, primary, fallback, LOG, Map.ofEntries(
                Map.entry("SUBMISSION_RELAYS_FAULTS_PRIMARY_HOST", "127.0.0.1"),
                Map.entry("SUBMISSION_RELAYS_FAULTS_PRIMARY_PORT", String.valueOf(faulty.port())),
                Map.entry("SUBMISSION_RELAYS_FAULTS_FALLBACK_PORT", String.valueOf(healthy.port())),
                Map.entry("SUBMISSION_RELAYS_FAULTS_USERNAME", FaultSmtpServer.USER),
                Map.entry("SUBMISSION_RELAYS_FAULTS_PASSWORD", FaultSmtpServer.PASSWORD),
                Map.entry("SUBMISSION_SMTP_CONNECT_TIMEOUT", "1s"),
                Map.entry("SUBMISSION_SMTP_READ_TIMEOUT", "2s"),
                Map.entry("SUBMISSION_SMTP_DATA_TIMEOUT", "8s"),
                Map.entry("SUBMISSION_CONSUMER_JOB_TIMEOUT", "20s"),
                Map.entry("SUBMISSION_KAFKA_WRITE_RETRY_FOR", "5s"),
                Map.entry("SUBMISSION_RETRY_DELAYS", "200ms,400ms"),
                Map.entry("SUBMISSION_RETRY_MAX_ATTEMPTS", "3")));
        router.start();
    }

    @BeforeEach
    void fresh() {
        faulty.reset();
        faulty.cutAll();
        healthy.reset();
    }

    @AfterEach
    void restartIfStopped() throws Exception {
        if (!router.isAlive()) {
            router.start();
        }
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (router.isAlive()) {
            router.kill();
        }
        client.close();
        faulty.close();
        healthy.close();
        primary.close();
        fallback.close();
        kafka.close();
    }

    @Test
    void aServerThatNeverAnswersTheSecondRcptIsDownAndTheJobIsSentByTheFallback() {
        faulty.fault(Step.RCPT, 2, silent(), Integer.MAX_VALUE);
        String jobId = Jobs.newJobId("rcpt2-silent");
        JsonNode result = send(jobId, "ada@example.org", "bob@example.org");
        assertThat(result.path("status").asText()).isEqualTo("SENT");
        assertThat(result.path("endpoint").path("name").asText()).isEqualTo("fallback");
        assertThat(result.path("acceptedRecipients")).extracting(JsonNode::asText)
                .containsExactly("ada@example.org", "bob@example.org");
        assertThat(client.attempts(jobId)).extracting(a -> a.path("outcome").asText())
                .containsExactly("endpoint_down", "sent");
        assertThat(copies(faulty, jobId)).isZero();
        assertThat(copies(healthy, jobId)).isEqualTo(1);
    }

    @Test
    void aServerThatAlwaysDropsTheConnectionAfterTheDotGetsAtMostMaxAttemptsCopies() throws InterruptedException {
        faulty.fault(Step.DOT, 1, close(), Integer.MAX_VALUE);
        String jobId = Jobs.newJobId("dot-close");
        JsonNode result = send(jobId, "ada@example.org");
        assertThat(result.path("status").asText()).isEqualTo("UNCERTAIN");
        assertThat(result.path("possibleDuplicate").asBoolean()).isTrue();
        assertThat(result.path("attempts").asInt()).isEqualTo(3);
        assertThat(copies(faulty, jobId)).as("one per attempt, max-attempts 3").isEqualTo(3);
        Thread.sleep(2000);
        assertThat(copies(faulty, jobId)).as("and never another").isEqualTo(3);
    }

    @Test
    void mailSmtpRecordHeadersDoNotChangeTheSession() {
        String jobId = Jobs.newJobId("mail-smtp-headers");
        ObjectNode job = Jobs.job(jobId);
        job.put("relay", "faults");
        client.send("email.jobs", jobId.getBytes(StandardCharsets.UTF_8), Jobs.json(job).getBytes(StandardCharsets.UTF_8),
                Map.of("mail.smtp.port", "2599", "mail.smtp.host", "127.0.0.1", "mail.smtp.starttls.enable", "false"));
        JsonNode result = client.awaitResult(jobId, Duration.ofSeconds(30));
        assertThat(result.path("status").asText()).isEqualTo("SENT");
        assertThat(result.path("endpoint").path("port").asInt()).isEqualTo(faulty.port());
        assertThat(copies(faulty, jobId)).isEqualTo(1);
    }

    @Test
    void anAttemptsTopicThatRefusesRecordsNeverMakesTheRouterSendAgain() throws Exception {
        setMaxMessageBytes("email.attempts", "1");
        try {
            String jobId = Jobs.newJobId("attempts-refused");
            ObjectNode job = Jobs.job(jobId);
            job.put("relay", "faults");
            client.sendJob(jobId, Jobs.json(job));
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> copies(faulty, jobId) == 1);
            Awaitility.await().atMost(Duration.ofSeconds(20))
                    .until(() -> router.status("/q/health/group/kafka-writes") == 503);
            Thread.sleep(15_000); // three times write-retry-for
            assertThat(copies(faulty, jobId)).isEqualTo(1);
            setMaxMessageBytes("email.attempts", null);
            JsonNode result = client.awaitResult(jobId, Duration.ofSeconds(30));
            assertThat(result.path("status").asText()).isEqualTo("SENT");
            assertThat(copies(faulty, jobId)).isEqualTo(1);
            Awaitility.await().atMost(Duration.ofSeconds(20))
                    .until(() -> router.status("/q/health/group/kafka-writes") == 200);
        } finally {
            setMaxMessageBytes("email.attempts", null);
        }
    }

    @Test
    void aShutdownDuringARetryFinishesAndCommitsItSoARestartDoesNotSendItAgain() throws Exception {
        faulty.fault(Step.MAIL, 1, reply("451 4.3.0 Try again later"), 1);
        faulty.fault(Step.DOT, 1, delay(3000), 1);
        String jobId = Jobs.newJobId("shutdown-retry");
        ObjectNode job = Jobs.job(jobId);
        job.put("relay", "faults");
        client.sendJob(jobId, Jobs.json(job));
        // the retry consumer's pass is waiting for the reply to its final dot
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> faulty.sessions() >= 2);
        Thread.sleep(500);
        assertThat(router.terminate(Duration.ofSeconds(60))).isIn(0, 143);
        assertThat(copies(faulty, jobId)).isEqualTo(1);
        router.start();
        JsonNode result = client.awaitResult(jobId, Duration.ofSeconds(30));
        assertThat(result.path("status").asText()).isEqualTo("SENT");
        Thread.sleep(3000); // a record left uncommitted would be read again by now
        assertThat(copies(faulty, jobId)).as("not sent again after the restart").isEqualTo(1);
        assertThat(client.on("email.results", jobId)).hasSize(1);
    }

    private static JsonNode send(String jobId, String... to) {
        ObjectNode job = Jobs.job(jobId);
        job.put("relay", "faults");
        var list = job.putArray("to");
        for (String t : to) {
            list.add(t);
        }
        client.sendJob(jobId, Jobs.json(job));
        return client.awaitResult(jobId, Duration.ofSeconds(60));
    }

    private static long copies(FaultSmtpServer server, String jobId) {
        String messageId = MessageIds.of(jobId, "router.test");
        return server.received().stream().filter(r -> messageId.equals(r.messageId())).count();
    }

    private static void setMaxMessageBytes(String topic, String value) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            if (!admin.listTopics().names().get().contains(topic)) {
                admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(topic, 1, (short) 1))).all().get();
            }
            AlterConfigOp op = value == null
                    ? new AlterConfigOp(new ConfigEntry("max.message.bytes", ""), AlterConfigOp.OpType.DELETE)
                    : new AlterConfigOp(new ConfigEntry("max.message.bytes", value), AlterConfigOp.OpType.SET);
            admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, topic), List.of(op)))
                    .all().get();
        }
    }
}
