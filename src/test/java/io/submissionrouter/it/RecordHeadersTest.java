package io.submissionrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.submissionrouter.testing.Jobs;
import io.submissionrouter.testing.KafkaTestClient;
import io.submissionrouter.testing.RouterTestBase;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

/**
 * Input is a record's key and value (CONTRACT 8.2): its headers, but traceparent, reach no SMTP session, no mail
 * component and no output record, whatever they are called.
 */
@QuarkusTest
class RecordHeadersTest extends RouterTestBase {

    private static final Map<String, String> HOSTILE = Map.of(
            // camel-mail builds a sender of its own (port 25, no TLS, no AUTH) when it sees mail.smtp.* headers
            "mail.smtp.port", "2599",
            "mail.smtp.host", "evil.example",
            "mail.smtp.starttls.enable", "false",
            "mail.smtp.auth", "false",
            // camel-mail's and camel-kafka's own headers
            "To", "victim@evil.example",
            "CamelMailTo", "victim@evil.example",
            "kafka.OVERRIDE_TOPIC", "evil.topic",
            "kafka.KEY", "another-key",
            "X-Injected", "yes");

    @Test
    void aJobWhoseRecordCarriesMailAndKafkaHeadersGoesOutAsConfiguredAndTheHeadersGoNowhere() {
        String jobId = Jobs.newJobId("headers");
        kafka.send("email.jobs", jobId.getBytes(StandardCharsets.UTF_8),
                Jobs.json(Jobs.job(jobId)).getBytes(StandardCharsets.UTF_8), HOSTILE);
        JsonNode result = kafka.awaitResult(jobId, Duration.ofSeconds(30));

        assertThat(result.path("status").asText()).isEqualTo("SENT");
        assertThat(result.path("endpoint").path("name").asText()).isEqualTo("primary");
        assertThat(result.path("endpoint").path("port").asInt()).isEqualTo(primary().port());
        assertThat(result.path("attempts").asInt()).isEqualTo(1);
        assertThat(primary().received()).hasSize(1);
        assertThat(primary().received().get(0).recipients()).containsExactly("ada@example.org");
        assertThat(primary().received().get(0).text()).doesNotContain("evil.example").doesNotContain("X-Injected");
        assertThat(primary().receivedInPlaintext()).isEmpty();

        List<ConsumerRecord<byte[], byte[]>> outputs = new java.util.ArrayList<>(kafka.on("email.results", jobId));
        outputs.addAll(kafka.on("email.attempts", jobId));
        assertThat(outputs).hasSize(2);
        for (ConsumerRecord<byte[], byte[]> r : outputs) {
            for (Header h : r.headers()) {
                assertThat(HOSTILE).as("no input header reaches an output record").doesNotContainKey(h.key());
            }
            assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(jobId);
        }
        assertThat(KafkaTestClient.header(kafka.on("email.results", jobId).get(0), "ce_type"))
                .isEqualTo("email.submission.sent");
    }
}
