package io.submissionrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.submissionrouter.testing.Jobs;
import io.submissionrouter.testing.RouterTestBase;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** With submission.retry.resend-uncertain=false the job is reported UNCERTAIN and never resent. */
@QuarkusTest
@TestProfile(UncertainReportedTest.NoResend.class)
class UncertainReportedTest extends RouterTestBase {

    public static class NoResend implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("submission.retry.resend-uncertain", "false");
        }
    }

    @Test
    void reportsUncertainWithoutResending() {
        String jobId = Jobs.newJobId("uncertain-reported");
        ObjectNode job = Jobs.withFault(jobId, "drop-after-dot");
        kafka.sendJob(jobId, Jobs.json(job));
        JsonNode result = kafka.awaitResult(jobId, Duration.ofSeconds(30));

        assertThat(result.path("status").asText()).isEqualTo("UNCERTAIN");
        assertThat(result.path("attempts").asInt()).isEqualTo(1);
        assertThat(result.path("error").path("code").asText()).isEqualTo("UNCERTAIN");
        assertThat(result.path("messageId").asText()).startsWith("<");
        assertThat(primary().received()).hasSize(1);
        assertThat(kafka.on("email.dlq", jobId)).isEmpty();

        // UNCERTAIN completes the job: sent again, it is a duplicate
        kafka.sendJob(jobId, Jobs.json(job));
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20))
                .until(() -> kafka.on("email.results", jobId).size() == 2);
        JsonNode second = io.submissionrouter.testing.KafkaTestClient.json(kafka.on("email.results", jobId).get(1));
        assertThat(second.path("status").asText()).isEqualTo("DUPLICATE");
        assertThat(second.path("originalStatus").asText()).isEqualTo("UNCERTAIN");
        assertThat(primary().received()).hasSize(1);
    }
}
