package io.submissionrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.junit.QuarkusTest;
import io.submissionrouter.testing.Jobs;
import io.submissionrouter.testing.RouterTestBase;
import io.submissionrouter.testing.TestSmtpServer;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A job a server accepted for some recipients while it kept deferring another (CONTRACT 8.1): completed at once, so
 * neither a resubmission while it retries nor one after it ended sends it again to the recipient that has it, and
 * every recipient ends in exactly one list of its result.
 */
@QuarkusTest
class PartialAcceptanceTest extends RouterTestBase {

    @Test
    void aJobAcceptedForSomeRecipientsIsCompletedAtOnceAndNeverSentAgainToThem() {
        String jobId = Jobs.newJobId("partial");
        ObjectNode job = Jobs.job(jobId);
        // the test server answers 451 to every RCPT of a recipient whose local part starts with "defer"
        job.putArray("to").add("ada@example.org").add("defer-bob@example.org");
        kafka.sendJob(jobId, Jobs.json(job));
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> copiesTo("ada@example.org") == 1);

        // produced again while the first copy retries for bob: a duplicate, nothing sent
        kafka.sendJob(jobId, Jobs.json(job));
        JsonNode result = awaitStatus(jobId, "SENT");
        JsonNode duplicate = awaitStatus(jobId, "DUPLICATE");
        assertThat(duplicate.path("originalStatus").asText()).isEqualTo("SENT");

        // max-attempts 3 in tests: bob ran out of retries; the job is SENT (ada has it), bob is failed
        assertThat(result.path("acceptedRecipients")).extracting(JsonNode::asText).containsExactly("ada@example.org");
        assertThat(result.path("rejectedRecipients")).isEmpty();
        assertThat(result.path("failedRecipients")).hasSize(1);
        JsonNode bob = result.path("failedRecipients").get(0);
        assertThat(bob.path("address").asText()).isEqualTo("defer-bob@example.org");
        assertThat(bob.path("smtpCode").asInt()).isEqualTo(451);
        assertThat(result.path("error").path("code").asText()).isEqualTo("RETRIES_EXHAUSTED");
        assertThat(kafka.on("email.dlq", jobId)).as("completed: no dead letter to replay").isEmpty();

        // produced again after it ended: a duplicate too
        kafka.sendJob(jobId, Jobs.json(job));
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> statuses(jobId).stream()
                .filter("DUPLICATE"::equals).count() == 2);
        assertThat(copiesTo("ada@example.org")).as("ada got it once").isEqualTo(1);
        assertThat(primary().received()).extracting(TestSmtpServer.Received::recipients)
                .containsExactly(List.of("ada@example.org"));
    }

    private static long copiesTo(String recipient) {
        return primary().received().stream().filter(r -> r.recipients().contains(recipient)).count();
    }

    private static List<String> statuses(String jobId) {
        return kafka.on("email.results", jobId).stream().map(r -> io.submissionrouter.testing.KafkaTestClient.json(r)
                .path("status").asText()).toList();
    }

    private static JsonNode awaitStatus(String jobId, String status) {
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> statuses(jobId).contains(status));
        return kafka.on("email.results", jobId).stream().map(io.submissionrouter.testing.KafkaTestClient::json)
                .filter(j -> j.path("status").asText().equals(status)).findFirst().orElseThrow();
    }
}
