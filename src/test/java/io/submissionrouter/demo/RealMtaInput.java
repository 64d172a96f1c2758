package io.submissionrouter.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.submissionrouter.job.MessageIds;
import io.submissionrouter.testing.EmbeddedKafka;
import io.submissionrouter.testing.Jobs;
import io.submissionrouter.testing.KafkaTestClient;
import io.submissionrouter.testing.RouterProcess;
import io.submissionrouter.testing.TestDnsServer;
import jakarta.mail.BodyPart;
import jakarta.mail.Multipart;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeUtility;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;

/**
 * Run by {@code bench/real-mta-input.sh}, as a new user would check what arrives: the packaged router, configured
 * by environment variables only, sends a rich job (non-ASCII names and subject, a binary attachment with a
 * non-ASCII name, an inline image, a custom header, a Bcc recipient, a Cc on a domain whose DNS server never
 * answers) to Postfix, and the message in the mailbox is compared field by field. Jobs to domains that cannot
 * receive mail must come back INVALID with NO_MX. DNS answers come from a DNS server on a loopback port.
 */
public final class RealMtaInput {

    private static final Path MAILBOX = Path.of("/var/mail/demo");

    private RealMtaInput() {
    }

    public static void main(String[] args) throws Exception {
        String run = "input-" + Instant.now().getEpochSecond();
        byte[] pdf = new byte[200_000];
        new Random(42).nextBytes(pdf);
        byte[] png = new byte[5_000];
        new Random(7).nextBytes(png);
        List<String> problems = new ArrayList<>();
        try (EmbeddedKafka kafka = EmbeddedKafka.start();
                TestDnsServer dns = TestDnsServer.start().answer("gone.example", TestDnsServer.Answer.NXDOMAIN)
                        .answer("no-mail.example", TestDnsServer.Answer.NULL_MX)
                        .answer("silent.example", TestDnsServer.Answer.SILENT);
                KafkaTestClient client = new KafkaTestClient(kafka.bootstrapServers(), List.of("email.results"))) {
            RouterProcess router = RouterProcess.forLocalMta(kafka, Map.of(
                    "SUBMISSION_DNS_SERVERS", dns.address(),
                    "SUBMISSION_DNS_TIMEOUT", "1s"), Path.of("target/real-mta-input-router.log"));
            router.start();

            String rich = run + "-rich";
            ObjectNode job = Jobs.job(rich);
            job.put("from", "Zoë Ørsted <noreply@shop.example>");
            job.putArray("to").add("Ada Lovelace <ada@example.org>");
            job.putArray("cc").add("Grace Hopper <grace@silent.example>");
            job.putArray("bcc").add("secret@example.org");
            job.put("subject", "Ihre Bestellung – 注文 4711 ✓");
            job.put("text", "Grüße aus Köln");
            job.put("html", "<p>Grüße aus Köln</p><img src=\"cid:logo@shop\">");
            job.putObject("headers").put("X-Campaign", "Frühling 2026");
            job.putArray("attachments")
                    .add(new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode()
                            .put("filename", "Rechnung März – naïve.pdf").put("contentType", "application/pdf")
                            .put("contentBase64", Base64.getEncoder().encodeToString(pdf)))
                    .add(new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode()
                            .put("filename", "logo.png").put("contentType", "image/png").put("contentId", "logo@shop")
                            .put("contentBase64", Base64.getEncoder().encodeToString(png)));
            Instant sent = Instant.now();
            client.sendJob(rich, Jobs.json(job));
            JsonNode result = client.awaitResult(rich, Duration.ofSeconds(60));
            report("rich job: " + result.path("status").asText() + " in "
                    + Duration.between(sent, Instant.now()).toMillis() + " ms (its Cc domain's DNS server never answers)");
            if (!result.path("status").asText().equals("SENT")) {
                problems.add("the rich job was not sent: " + result);
            }
            for (String domain : List.of("gone.example", "no-mail.example")) {
                String jobId = run + "-" + domain;
                ObjectNode bad = Jobs.job(jobId);
                bad.putArray("to").add("someone@" + domain);
                client.sendJob(jobId, Jobs.json(bad));
                JsonNode r = client.awaitResult(jobId, Duration.ofSeconds(30));
                report(domain + ": " + r.path("status").asText() + " " + r.path("error").path("code").asText() + " ("
                        + r.path("error").path("message").asText() + ")");
                if (!r.path("error").path("code").asText().equals("NO_MX")) {
                    problems.add(domain + " was not NO_MX: " + r);
                }
            }
            router.terminate(Duration.ofSeconds(60));
            Thread.sleep(3000); // local delivery
            compare(find(MessageIds.of(rich, "mta.test")), pdf, png, problems);
        }
        problems.forEach(p -> report("MISMATCH: " + p));
        if (!problems.isEmpty()) {
            throw new IllegalStateException(problems.size() + " differences");
        }
        report("the message in the mailbox is the job, field by field");
    }

    /** The first message in the mbox with this Message-ID. */
    private static MimeMessage find(String messageId) throws Exception {
        String mbox = Files.readString(MAILBOX, StandardCharsets.ISO_8859_1);
        int at = mbox.indexOf("Message-ID: " + messageId);
        if (at < 0) {
            throw new IllegalStateException(messageId + " is not in " + MAILBOX);
        }
        int start = mbox.lastIndexOf("\nFrom ", at) + 1;
        int end = mbox.indexOf("\nFrom ", at);
        String raw = mbox.substring(mbox.indexOf('\n', start) + 1, end < 0 ? mbox.length() : end);
        return new MimeMessage(Session.getInstance(new Properties()),
                new ByteArrayInputStream(raw.replace("\n>From ", "\nFrom ").getBytes(StandardCharsets.ISO_8859_1)));
    }

    private static void compare(MimeMessage m, byte[] pdf, byte[] png, List<String> problems) throws Exception {
        check(problems, "subject", "Ihre Bestellung – 注文 4711 ✓", m.getSubject());
        check(problems, "from name", "Zoë Ørsted", ((InternetAddress) m.getFrom()[0]).getPersonal());
        check(problems, "to name", "Ada Lovelace", ((InternetAddress) m.getRecipients(jakarta.mail.Message.RecipientType.TO)[0]).getPersonal());
        check(problems, "cc", "grace@silent.example", ((InternetAddress) m.getRecipients(jakarta.mail.Message.RecipientType.CC)[0]).getAddress());
        check(problems, "Bcc header", null, m.getHeader("Bcc") == null ? null : "present");
        check(problems, "X-Campaign", "Frühling 2026", MimeUtility.decodeText(m.getHeader("X-Campaign", null)));
        Multipart mixed = (Multipart) m.getContent();
        Multipart related = (Multipart) mixed.getBodyPart(0).getContent();
        Multipart alternative = (Multipart) related.getBodyPart(0).getContent();
        check(problems, "text", "Grüße aus Köln", alternative.getBodyPart(0).getContent().toString().strip());
        check(problems, "html", "<p>Grüße aus Köln</p><img src=\"cid:logo@shop\">",
                alternative.getBodyPart(1).getContent().toString().strip());
        BodyPart logo = related.getBodyPart(1);
        check(problems, "inline Content-ID", "<logo@shop>", logo.getHeader("Content-ID")[0]);
        check(problems, "inline bytes", "equal", java.util.Arrays.equals(png, logo.getInputStream().readAllBytes()) ? "equal" : "differ");
        BodyPart invoice = mixed.getBodyPart(1);
        check(problems, "attachment name", "Rechnung März – naïve.pdf", MimeUtility.decodeText(invoice.getFileName()));
        check(problems, "attachment bytes", "equal", java.util.Arrays.equals(pdf, invoice.getInputStream().readAllBytes()) ? "equal" : "differ");
        report("compared: subject, names, Cc, Bcc hidden, custom header, text, html, inline image, attachment name and bytes");
    }

    private static void check(List<String> problems, String what, String expected, String actual) {
        if (!java.util.Objects.equals(expected, actual)) {
            problems.add(what + ": expected " + expected + ", got " + actual);
        }
    }

    private static void report(String line) {
        System.out.printf("[%s] %s%n", Instant.now(), line);
    }
}
