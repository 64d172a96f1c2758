package io.submissionrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.junit.QuarkusTest;
import io.submissionrouter.job.MessageIds;
import io.submissionrouter.testing.AsyncApi;
import io.submissionrouter.testing.Jobs;
import io.submissionrouter.testing.KafkaTestClient;
import io.submissionrouter.testing.RouterTestBase;
import io.submissionrouter.testing.TestSmtpServer;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

@QuarkusTest
class HappyPathTest extends RouterTestBase {

    @Test
    void sendsEveryPartOfTheJobThroughThePrimaryAndReportsSent() throws Exception {
        String jobId = Jobs.newJobId("happy");
        ObjectNode job = Jobs.job(jobId);
        job.put("replyTo", "support@shop.example");
        job.putArray("to").add("Ada Lovelace <ada@example.org>");
        job.putArray("cc").add("grace@example.org");
        job.putArray("bcc").add("hidden@example.org");
        job.put("html", "<p>Thanks for your order.</p>");
        job.putObject("headers").put("X-Campaign", "orders");
        job.putArray("attachments").addObject().put("filename", "invoice.pdf").put("contentType", "application/pdf")
                .put("contentBase64", Base64.getEncoder().encodeToString("%PDF-1.4 test".getBytes(StandardCharsets.US_ASCII)));
        job.putObject("metadata").put("tenant", "shop-eu");
        kafka.send("email.jobs", jobId.getBytes(StandardCharsets.UTF_8), Jobs.json(job).getBytes(StandardCharsets.UTF_8),
                Map.of("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));

        JsonNode result = kafka.awaitResult(jobId, Duration.ofSeconds(20));

        assertThat(result.path("status").asText()).isEqualTo("SENT");
        assertThat(result.path("relay").asText()).isEqualTo("default");
        assertThat(result.path("endpoint").path("name").asText()).isEqualTo("primary");
        assertThat(result.path("endpoint").path("port").asInt()).isEqualTo(primary().port());
        assertThat(result.path("smtpCode").asInt()).isEqualTo(250);
        assertThat(result.path("smtpEnhancedCode").asText()).isEqualTo("2.0.0");
        assertThat(result.path("smtpReply").asText()).startsWith("Ok: queued as");
        assertThat(result.path("messageId").asText()).isEqualTo(MessageIds.of(jobId, "router.test"));
        assertThat(result.path("attempts").asInt()).isEqualTo(1);
        assertThat(result.path("possibleDuplicate").asBoolean()).isFalse();
        assertThat(result.path("error").isNull()).isTrue();
        assertThat(result.path("metadata").path("tenant").asText()).isEqualTo("shop-eu");
        assertThat(result.path("acceptedRecipients")).hasSize(3);
        assertThat(result.path("receivedAt").asText()).isNotEmpty();
        assertThat(result.path("completedAt").asText()).isNotEmpty();

        ConsumerRecord<byte[], byte[]> record = kafka.on("email.results", jobId).get(0);
        assertThat(KafkaTestClient.header(record, "ce_specversion")).isEqualTo("1.0");
        assertThat(KafkaTestClient.header(record, "ce_type")).isEqualTo("email.submission.sent");
        assertThat(KafkaTestClient.header(record, "ce_subject")).isEqualTo(jobId);
        assertThat(KafkaTestClient.header(record, "ce_source")).isEqualTo("smtp-submission-router");
        assertThat(KafkaTestClient.header(record, "ce_id")).isNotBlank();
        assertThat(KafkaTestClient.header(record, "ce_time")).isNotBlank();
        assertThat(KafkaTestClient.header(record, "content-type")).isEqualTo("application/json");
        // the job's trace, with the router's span as the parent (TracingTest)
        assertThat(KafkaTestClient.header(record, "traceparent")).startsWith("00-4bf92f3577b34da6a3ce929d0e0e4736-")
                .doesNotContain("00f067aa0ba902b7");

        assertThat(primary().received()).hasSize(1);
        assertThat(fallback().received()).isEmpty();
        TestSmtpServer.Received received = primary().received().get(0);
        assertThat(received.recipients()).containsExactlyInAnyOrder("ada@example.org", "grace@example.org",
                "hidden@example.org");
        MimeMessage mail = new MimeMessage(Session.getInstance(new Properties()),
                new ByteArrayInputStream(received.data()));
        assertThat(mail.getHeader("From", null)).isEqualTo("Shop <noreply@shop.example>");
        assertThat(mail.getHeader("To", null)).isEqualTo("Ada Lovelace <ada@example.org>");
        assertThat(mail.getHeader("Cc", null)).isEqualTo("grace@example.org");
        assertThat(mail.getHeader("Reply-To", null)).isEqualTo("support@shop.example");
        assertThat(mail.getHeader("Bcc")).isNull();
        assertThat(received.text()).doesNotContain("hidden@example.org");
        assertThat(mail.getSubject()).isEqualTo("Your order " + jobId);
        assertThat(mail.getHeader("X-Campaign", null)).isEqualTo("orders");
        assertThat(mail.getMessageID()).isEqualTo(result.path("messageId").asText());
        assertThat(mail.getSentDate()).isNotNull();
        assertThat(received.text()).doesNotContainIgnoringCase("kafka").doesNotContain("Camel")
                .doesNotContain("traceparent");

        assertThat(mail.isMimeType("multipart/mixed")).isTrue();
        Multipart mixed = (Multipart) mail.getContent();
        assertThat(mixed.getCount()).isEqualTo(2);
        Part body = mixed.getBodyPart(0);
        assertThat(body.isMimeType("multipart/alternative")).isTrue();
        Multipart alternative = (Multipart) body.getContent();
        assertThat(alternative.getBodyPart(0).isMimeType("text/plain")).isTrue();
        assertThat(alternative.getBodyPart(0).getContent().toString()).isEqualTo("Thanks for your order.");
        assertThat(alternative.getBodyPart(1).isMimeType("text/html")).isTrue();
        assertThat(alternative.getBodyPart(1).getContent().toString()).isEqualTo("<p>Thanks for your order.</p>");
        Part attachment = mixed.getBodyPart(1);
        assertThat(attachment.getFileName()).isEqualTo("invoice.pdf");
        assertThat(attachment.isMimeType("application/pdf")).isTrue();
        assertThat(attachment.getInputStream().readAllBytes()).isEqualTo("%PDF-1.4 test".getBytes(StandardCharsets.US_ASCII));

        JsonNode attempt = kafka.attempts(jobId).get(0);
        assertThat(kafka.attempts(jobId)).hasSize(1);
        assertThat(attempt.path("outcome").asText()).isEqualTo("sent");
        assertThat(attempt.path("step").asText()).isEqualTo("dot");
        assertThat(attempt.path("endpoint").path("name").asText()).isEqualTo("primary");
        assertThat(attempt.path("smtpCode").asInt()).isEqualTo(250);
        assertThat(attempt.path("attempt").asInt()).isEqualTo(1);
        assertThat(KafkaTestClient.header(kafka.on("email.attempts", jobId).get(0), "ce_type"))
                .isEqualTo("email.submission.attempt");
    }

    /** The records the router writes conform to docs/asyncapi.yaml, payload and headers. */
    @Test
    void resultAndAttemptRecordsConformToTheAsyncApiDocument() {
        String jobId = Jobs.newJobId("asyncapi");
        ObjectNode job = Jobs.job(jobId);
        job.putObject("metadata").put("tenant", "shop-eu");
        kafka.send("email.jobs", jobId.getBytes(StandardCharsets.UTF_8), Jobs.json(job).getBytes(StandardCharsets.UTF_8),
                Map.of("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
        kafka.awaitResult(jobId, Duration.ofSeconds(20));

        ConsumerRecord<byte[], byte[]> result = kafka.on("email.results", jobId).get(0);
        assertThat(AsyncApi.validate("DeliveryResult", KafkaTestClient.json(result))).isEmpty();
        assertThat(AsyncApi.validate("CloudEventHeaders", AsyncApi.headers(result))).isEmpty();
        ConsumerRecord<byte[], byte[]> attempt = kafka.on("email.attempts", jobId).get(0);
        assertThat(AsyncApi.validate("AttemptEvent", KafkaTestClient.json(attempt))).isEmpty();
        assertThat(AsyncApi.validate("CloudEventHeaders", AsyncApi.headers(attempt))).isEmpty();
    }
}
