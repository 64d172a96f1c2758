package io.submissionrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.junit.QuarkusTest;
import io.submissionrouter.relay.Breaker;
import io.submissionrouter.testing.Jobs;
import io.submissionrouter.testing.KafkaTestClient;
import io.submissionrouter.testing.RouterTestBase;
import io.submissionrouter.testing.TestSmtpServer;
import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Addresses with a non-ASCII local part (RFC 6531): sent with SMTPUTF8 and raw UTF-8 headers (RFC 6532) to a
 * server that offers SMTPUTF8; an INVALID result and a dead letter, with nothing sent, from one that does not.
 */
@QuarkusTest
class SmtpUtf8Test extends RouterTestBase {

    @Test
    void sendsANonAsciiLocalPartToAServerThatOffersSmtpUtf8() throws Exception {
        String jobId = Jobs.newJobId("utf8");
        ObjectNode job = Jobs.job(jobId);
        job.putArray("to").add("Jürgen Groß <jürgen@example.org>");
        job.put("from", "Büro <büro@shop.example>");
        kafka.sendJob(jobId, Jobs.json(job));

        JsonNode result = kafka.awaitResult(jobId, Duration.ofSeconds(20));
        assertThat(result.path("status").asText()).isEqualTo("SENT");
        assertThat(primary().received()).hasSize(1);
        TestSmtpServer.Received received = primary().received().get(0);
        assertThat(received.from()).isEqualTo("büro@shop.example");
        assertThat(received.recipients()).containsExactly("jürgen@example.org");
        Properties utf8 = new Properties();
        utf8.put("mail.mime.allowutf8", "true");
        MimeMessage parsed = new MimeMessage(Session.getInstance(utf8), new ByteArrayInputStream(received.data()));
        InternetAddress to = (InternetAddress) parsed.getRecipients(Message.RecipientType.TO)[0];
        assertThat(to.getAddress()).isEqualTo("jürgen@example.org");
        assertThat(to.getPersonal()).isEqualTo("Jürgen Groß");
        assertThat(((InternetAddress) parsed.getFrom()[0]).getAddress()).isEqualTo("büro@shop.example");
    }

    @Test
    void aNonAsciiLocalPartIsInvalidWhenTheServerDoesNotOfferSmtpUtf8() {
        primary().offerSmtpUtf8(false);
        String jobId = Jobs.newJobId("no-utf8");
        ObjectNode job = Jobs.job(jobId);
        job.putArray("cc").add("jürgen@example.org");
        kafka.sendJob(jobId, Jobs.json(job));

        JsonNode result = kafka.awaitResult(jobId, Duration.ofSeconds(20));
        assertThat(result.path("status").asText()).isEqualTo("INVALID");
        assertThat(result.path("error").path("code").asText()).isEqualTo("INVALID_ADDRESS");
        assertThat(result.path("error").path("message").asText()).contains("SMTPUTF8").contains("primary");
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !kafka.on("email.dlq", jobId).isEmpty());
        List<ConsumerRecord<byte[], byte[]>> dead = kafka.on("email.dlq", jobId);
        assertThat(dead).hasSize(1);
        assertThat(KafkaTestClient.header(dead.get(0), "error.code")).isEqualTo("INVALID_ADDRESS");
        assertThat(kafka.attempts(jobId)).singleElement().satisfies(a -> {
            assertThat(a.path("outcome").asText()).isEqualTo("rejected");
            assertThat(a.path("step").asText()).isEqualTo("ehlo");
        });
        assertThat(primary().received()).isEmpty();
        assertThat(fallback().received()).isEmpty();
        assertThat(endpoint("primary").breaker().stateCode()).isEqualTo(Breaker.CLOSED);

        String ascii = Jobs.newJobId("ascii-after");
        kafka.sendJob(ascii, Jobs.json(Jobs.job(ascii)));
        assertThat(kafka.awaitResult(ascii, Duration.ofSeconds(20)).path("status").asText()).isEqualTo("SENT");
        assertThat(primary().received()).hasSize(1);
    }
}
