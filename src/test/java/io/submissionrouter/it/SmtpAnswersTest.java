package io.submissionrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.junit.QuarkusTest;
import io.submissionrouter.testing.Jobs;
import io.submissionrouter.testing.KafkaTestClient;
import io.submissionrouter.testing.RouterTestBase;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** What the server answers to MAIL, RCPT, DATA and the final dot, and what the router makes of it. */
@QuarkusTest
class SmtpAnswersTest extends RouterTestBase {

    @Test
    void sendsToTheAcceptedRecipientAndReportsTheOneRefusedWith550() {
        String jobId = Jobs.newJobId("partial");
        ObjectNode job = Jobs.job(jobId);
        job.putArray("to").add("ada@example.org").add("reject-bob@example.org");
        JsonNode result = send(jobId, job);

        assertThat(result.path("status").asText()).isEqualTo("SENT");
        assertThat(result.path("acceptedRecipients")).extracting(JsonNode::asText).containsExactly("ada@example.org");
        JsonNode rejected = result.path("rejectedRecipients").get(0);
        assertThat(result.path("rejectedRecipients")).hasSize(1);
        assertThat(rejected.path("address").asText()).isEqualTo("reject-bob@example.org");
        assertThat(rejected.path("smtpCode").asInt()).isEqualTo(550);
        assertThat(rejected.path("smtpEnhancedCode").asText()).isEqualTo("5.1.1");
        assertThat(rejected.path("smtpReply").asText()).contains("User unknown");
        assertThat(primary().received()).hasSize(1);
        assertThat(primary().received().get(0).recipients()).containsExactly("ada@example.org");
        assertThat(result.path("attempts").asInt()).isEqualTo(1);
    }

    @Test
    void reportsRejectedWithoutRetryWhenEveryRecipientIsRefusedWith550() {
        String jobId = Jobs.newJobId("all-rejected");
        ObjectNode job = Jobs.job(jobId);
        job.putArray("to").add("reject-a@example.org").add("reject-b@example.org");
        JsonNode result = send(jobId, job);

        assertThat(result.path("status").asText()).isEqualTo("REJECTED");
        assertThat(result.path("attempts").asInt()).isEqualTo(1);
        assertThat(result.path("smtpCode").asInt()).isEqualTo(550);
        assertThat(result.path("rejectedRecipients")).hasSize(2);
        assertThat(result.path("acceptedRecipients")).isEmpty();
        assertThat(result.path("endpoint").path("name").asText()).isEqualTo("primary");
        assertThat(kafka.attempts(jobId)).extracting(a -> a.path("outcome").asText()).containsExactly("rejected");
        assertThat(kafka.attempts(jobId).get(0).path("step").asText()).isEqualTo("rcpt");
        assertThat(kafka.on("email.dlq", jobId)).isEmpty();
        assertThat(primary().received()).isEmpty();
        assertThat(fallback().received()).isEmpty();
    }

    @Test
    void retriesA451AfterTheDotAndReportsSentOnTheSecondAttempt() {
        String jobId = Jobs.newJobId("451-once");
        ObjectNode job = Jobs.withFault(jobId, "data-451-once");
        JsonNode result = send(jobId, job);

        assertThat(result.path("status").asText()).isEqualTo("SENT");
        assertThat(result.path("attempts").asInt()).isEqualTo(2);
        List<JsonNode> attempts = kafka.attempts(jobId);
        assertThat(attempts).extracting(a -> a.path("outcome").asText()).containsExactly("transient", "sent");
        assertThat(attempts.get(0).path("smtpCode").asInt()).isEqualTo(451);
        assertThat(attempts.get(0).path("step").asText()).isEqualTo("dot");
        assertThat(attempts.get(0).path("endpoint").path("name").asText()).isEqualTo("primary");
        assertThat(primary().received()).hasSize(1);
    }

    @Test
    void endsFailedInTheDeadLetterTopicWhen451PersistsBeyondMaxAttempts() {
        String jobId = Jobs.newJobId("451-always");
        ObjectNode job = Jobs.withFault(jobId, "data-451");
        JsonNode result = send(jobId, job);

        assertThat(result.path("status").asText()).isEqualTo("FAILED");
        assertThat(result.path("error").path("code").asText()).isEqualTo("RETRIES_EXHAUSTED");
        assertThat(result.path("attempts").asInt()).isEqualTo(3); // submission.retry.max-attempts=3 in tests
        assertThat(result.path("smtpCode").asInt()).isEqualTo(451);
        assertThat(kafka.attempts(jobId)).extracting(a -> a.path("outcome").asText())
                .containsExactly("transient", "transient", "transient");
        List<ConsumerRecord<byte[], byte[]>> dlq = kafka.on("email.dlq", jobId);
        assertThat(dlq).hasSize(1);
        assertThat(KafkaTestClient.header(dlq.get(0), "error.code")).isEqualTo("RETRIES_EXHAUSTED");
        assertThat(KafkaTestClient.header(dlq.get(0), "attempts")).isEqualTo("3");
        assertThat(primary().received()).isEmpty();
    }

    @Test
    void waitsForTheDataTimeoutNotTheReadTimeoutForTheReplyAfterTheDot() {
        String jobId = Jobs.newJobId("slow-dot");
        ObjectNode job = Jobs.job(jobId);
        // read-timeout is 2s, data-timeout 8s in tests: a 3.5s answer after the dot is a normal answer
        job.putObject("headers").put("X-Test-Fault", "slow-dot-3500");
        JsonNode result = send(jobId, job);

        assertThat(result.path("status").asText()).isEqualTo("SENT");
        assertThat(result.path("possibleDuplicate").asBoolean()).isFalse();
        assertThat(result.path("attempts").asInt()).isEqualTo(1);
        assertThat(result.path("endpoint").path("name").asText()).isEqualTo("primary");
        assertThat(kafka.attempts(jobId).get(0).path("durationMs").asLong()).isGreaterThanOrEqualTo(3500);
        assertThat(primary().received()).hasSize(1);
    }

    private static JsonNode send(String jobId, ObjectNode job) {
        kafka.sendJob(jobId, Jobs.json(job));
        return kafka.awaitResult(jobId, Duration.ofSeconds(30));
    }
}
