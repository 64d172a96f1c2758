package io.submissionrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.junit.QuarkusTest;
import io.submissionrouter.testing.Jobs;
import io.submissionrouter.testing.RouterTestBase;
import io.submissionrouter.testing.TestSmtpServer;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** The connection is lost after the whole message was sent, before the reply (resend-uncertain=true, the default). */
@QuarkusTest
class UncertainTest extends RouterTestBase {

    @Test
    void resendsWithTheSameMessageIdAndFlagsAPossibleDuplicate() throws Exception {
        String jobId = Jobs.newJobId("uncertain");
        ObjectNode job = Jobs.withFault(jobId, "drop-after-dot-once");
        kafka.sendJob(jobId, Jobs.json(job));
        JsonNode result = kafka.awaitResult(jobId, Duration.ofSeconds(30));

        assertThat(result.path("status").asText()).isEqualTo("SENT");
        assertThat(result.path("possibleDuplicate").asBoolean()).isTrue();
        assertThat(result.path("attempts").asInt()).isEqualTo(2);
        List<JsonNode> attempts = kafka.attempts(jobId);
        assertThat(attempts).extracting(a -> a.path("outcome").asText()).containsExactly("uncertain", "sent");
        assertThat(attempts.get(0).path("step").asText()).isEqualTo("dot");
        assertThat(attempts.get(0).path("smtpCode").isNull()).isTrue();
        // the server did take it twice: both copies carry the one Message-ID receivers can deduplicate on
        List<TestSmtpServer.Received> copies = primary().received();
        assertThat(copies).hasSize(2);
        assertThat(messageId(copies.get(0))).isEqualTo(messageId(copies.get(1)))
                .isEqualTo(result.path("messageId").asText());
    }

    @Test
    void anUncertainOutcomeNeverTripsTheBreakerOrMovesToTheFallback() {
        String jobId = Jobs.newJobId("uncertain-endpoint");
        ObjectNode job = Jobs.withFault(jobId, "drop-after-dot-once");
        kafka.sendJob(jobId, Jobs.json(job));
        JsonNode result = kafka.awaitResult(jobId, Duration.ofSeconds(30));
        assertThat(result.path("endpoint").path("name").asText()).isEqualTo("primary");
        assertThat(fallback().received()).isEmpty();
        assertThat(endpoint("primary").breaker().stateName()).isEqualTo("closed");
    }

    private static String messageId(TestSmtpServer.Received received) throws Exception {
        return new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(received.data()))
                .getMessageID();
    }
}
