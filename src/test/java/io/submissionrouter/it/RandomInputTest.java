package io.submissionrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.submissionrouter.testing.Jobs;
import io.submissionrouter.testing.KafkaTestClient;
import io.submissionrouter.testing.MutatedJobs;
import io.submissionrouter.testing.RouterTestBase;
import io.submissionrouter.testing.TestSmtpServer;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Random mutations of valid jobs (jqwik's generators) through the whole router: each record ends as exactly one
 * result, every INVALID one with exactly one dead letter, and every message a server received is well formed.
 */
@QuarkusTest
class RandomInputTest extends RouterTestBase {

    private static final int RECORDS = 150;

    @Test
    void everyRandomRecordEndsAsExactlyOneResultAndNoMalformedMessageIsSent() throws Exception {
        List<String> jobIds = new ArrayList<>();
        for (int i = 0; i < RECORDS; i++) {
            String jobId = Jobs.newJobId("random");
            jobIds.add(jobId);
            kafka.sendJob(jobId, MutatedJobs.keepingJobId(jobId).sample());
        }
        Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
                .until(() -> jobIds.stream().allMatch(id -> !kafka.on("email.results", id).isEmpty()));
        Thread.sleep(500); // a second result, if there were one, would be right behind the first

        int sent = 0;
        for (String jobId : jobIds) {
            assertThat(kafka.on("email.results", jobId)).as("results of %s", jobId).hasSize(1);
            JsonNode result = KafkaTestClient.json(kafka.on("email.results", jobId).get(0));
            String status = result.path("status").asText();
            if (status.equals("INVALID")) {
                assertThat(kafka.on("email.dlq", jobId)).as("dead letters of %s", jobId).hasSize(1);
                assertThat(result.path("error").path("code").asText()).isNotBlank();
            } else {
                assertThat(status).as("status of %s", jobId).isEqualTo("SENT");
                assertThat(kafka.on("email.dlq", jobId)).isEmpty();
                sent++;
            }
        }
        List<TestSmtpServer.Received> received = new ArrayList<>();
        for (TestSmtpServer server : List.of(primary(), fallback(), bulk())) {
            received.addAll(server.received());
        }
        assertThat(received).hasSizeGreaterThanOrEqualTo(sent);
        Session session = Session.getInstance(new Properties());
        for (TestSmtpServer.Received r : received) {
            String text = new String(r.data(), StandardCharsets.ISO_8859_1);
            String head = text.substring(0, Math.max(0, text.indexOf("\r\n\r\n")));
            for (String line : head.split("\r\n")) {
                assertThat(line).matches("([\\x21-\\x39\\x3B-\\x7E]+:.*|[ \\t].*)");
                assertThat(line.length()).isLessThanOrEqualTo(998);
                assertThat(line.toLowerCase()).doesNotStartWith("bcc:").doesNotStartWith("x-injected:");
            }
            assertThat(new MimeMessage(session, new ByteArrayInputStream(r.data())).getMessageID()).endsWith("@router.test>");
        }
        System.out.printf("random input: %d records, %d sent, %d invalid%n", RECORDS, sent, RECORDS - sent);
    }
}
