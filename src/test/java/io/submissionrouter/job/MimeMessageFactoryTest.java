package io.submissionrouter.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.submissionrouter.smtp.SubmissionMessage;
import jakarta.mail.BodyPart;
import jakarta.mail.Message;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeUtility;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The message of a job, written out as it goes over SMTP and parsed back with Angus Mail's MIME parser,
 * compared field by field: structure, non-ASCII headers and file names, binary attachments, no Bcc header,
 * no line over 998 octets.
 */
class MimeMessageFactoryTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final JobReader reader = new JobReader(JSON);
    private final JobValidator validator = new JobValidator(new JobValidator.Limits(10, 50, Set.of()), Optional.empty(),
            Set.of("default"));

    private MimeMessage roundTrip(ObjectNode job) throws Exception {
        ValidJob valid = validator.validate(reader.read(JSON.writeValueAsBytes(job)));
        SubmissionMessage sent = new MimeMessageFactory().create(valid, MessageIds.of(valid.job().jobId(), "router.test"),
                10 * 1024 * 1024);
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        sent.writeTo(wire);
        for (String line : wire.toString(StandardCharsets.ISO_8859_1).split("\r\n")) {
            assertThat(line.length()).as("line length on the wire").isLessThanOrEqualTo(998);
        }
        return new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(wire.toByteArray()));
    }

    private static ObjectNode job() {
        ObjectNode job = JSON.createObjectNode();
        job.put("jobId", "mime-1");
        job.put("from", "Zoë Ørsted <noreply@shop.example>");
        job.put("replyTo", "support@shop.example");
        job.putArray("to").add("Ada Lovelace <ada@example.org>");
        job.putArray("cc").add("grace@example.org");
        job.putArray("bcc").add("secret@example.org");
        job.put("subject", "Ihre Bestellung – 注文 4711 ✓");
        job.put("text", "Grüße\n" + "x".repeat(2000));
        job.put("html", "<p>Grüße</p><img src=\"cid:logo@shop\">");
        job.putObject("headers").put("X-Campaign", "Frühling").put("List-Unsubscribe", "<mailto:u@shop.example>");
        return job;
    }

    @Test
    void textAndHtmlAreAlternativesAndEveryHeaderComesBackAsWritten() throws Exception {
        MimeMessage m = roundTrip(job());
        assertThat(m.getSubject()).isEqualTo("Ihre Bestellung – 注文 4711 ✓");
        assertThat(((InternetAddress) m.getFrom()[0]).getPersonal()).isEqualTo("Zoë Ørsted");
        assertThat(((InternetAddress) m.getFrom()[0]).getAddress()).isEqualTo("noreply@shop.example");
        assertThat(((InternetAddress) m.getReplyTo()[0]).getAddress()).isEqualTo("support@shop.example");
        assertThat(m.getRecipients(Message.RecipientType.TO)).extracting(a -> ((InternetAddress) a).getPersonal())
                .containsExactly("Ada Lovelace");
        assertThat(m.getRecipients(Message.RecipientType.CC)).hasSize(1);
        assertThat(m.getHeader("Bcc")).isNull();
        assertThat(m.getSentDate()).isCloseTo(new java.util.Date(), 5000); // RFC 5322 date-time, read back by Jakarta Mail
        assertThat(m.getMessageID()).isEqualTo(MessageIds.of("mime-1", "router.test"));
        assertThat(MimeUtility.decodeText(m.getHeader("X-Campaign", null))).isEqualTo("Frühling");
        assertThat(m.getHeader("List-Unsubscribe", null)).isEqualTo("<mailto:u@shop.example>");

        assertThat(m.isMimeType("multipart/alternative")).isTrue();
        Multipart alternative = (Multipart) m.getContent();
        assertThat(alternative.getBodyPart(0).isMimeType("text/plain")).isTrue();
        // text travels in canonical form: line breaks as CRLF
        assertThat(alternative.getBodyPart(0).getContent().toString().replace("\r\n", "\n"))
                .isEqualTo("Grüße\n" + "x".repeat(2000));
        assertThat(alternative.getBodyPart(1).isMimeType("text/html")).isTrue();
        assertThat(alternative.getBodyPart(1).getContent()).isEqualTo("<p>Grüße</p><img src=\"cid:logo@shop\">");
    }

    @Test
    void attachmentsAreMixedAndInlineImagesRelatedWithTheirBytesAndNamesIntact() throws Exception {
        byte[] pdf = new byte[70_000];
        new Random(1).nextBytes(pdf);
        byte[] png = new byte[3_000];
        new Random(2).nextBytes(png);
        ObjectNode job = job();
        job.putArray("attachments")
                .add(JSON.createObjectNode().put("filename", "Rechnung März 2026 – très longue désignation.pdf")
                        .put("contentType", "application/pdf").put("contentBase64", Base64.getEncoder().encodeToString(pdf)))
                .add(JSON.createObjectNode().put("filename", "logo.png").put("contentType", "image/png")
                        .put("contentBase64", Base64.getEncoder().encodeToString(png)).put("contentId", "logo@shop"));
        MimeMessage m = roundTrip(job);

        assertThat(m.isMimeType("multipart/mixed")).isTrue();
        Multipart mixed = (Multipart) m.getContent();
        assertThat(mixed.getCount()).isEqualTo(2);
        BodyPart body = mixed.getBodyPart(0);
        assertThat(body.isMimeType("multipart/related")).isTrue();
        Multipart related = (Multipart) body.getContent();
        assertThat(related.getBodyPart(0).isMimeType("multipart/alternative")).isTrue();
        BodyPart logo = related.getBodyPart(1);
        assertThat(logo.isMimeType("image/png")).isTrue();
        assertThat(logo.getDisposition()).isEqualTo(Part.INLINE);
        assertThat(logo.getHeader("Content-ID")[0]).isEqualTo("<logo@shop>");
        assertThat(logo.getInputStream().readAllBytes()).isEqualTo(png);

        BodyPart invoice = mixed.getBodyPart(1);
        assertThat(invoice.getDisposition()).isEqualTo(Part.ATTACHMENT);
        assertThat(invoice.isMimeType("application/pdf")).isTrue();
        assertThat(MimeUtility.decodeText(invoice.getFileName()))
                .isEqualTo("Rechnung März 2026 – très longue désignation.pdf");
        assertThat(invoice.getInputStream().readAllBytes()).isEqualTo(pdf);
    }

    @Test
    void aJobWithOnlyInlinePartsIsRelatedAtTheTop() throws Exception {
        ObjectNode job = job();
        job.putArray("attachments").add(JSON.createObjectNode().put("filename", "logo.png").put("contentType", "image/png")
                .put("contentBase64", "iVBORw0KGgo=").put("contentId", "logo@shop"));
        MimeMessage m = roundTrip(job);
        assertThat(m.isMimeType("multipart/related")).isTrue();
        assertThat(((Multipart) m.getContent()).getBodyPart(1).getHeader("Content-ID")[0]).isEqualTo("<logo@shop>");
    }
}
