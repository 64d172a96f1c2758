package io.submissionrouter.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.submissionrouter.smtp.SubmissionMessage;
import io.submissionrouter.testing.MutatedJobs;
import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;

/**
 * Random and mutated jobs thrown at the intake (reader, schema, validator, MIME builder): every input ends as a
 * valid message or a rejection with a contract code, never anything else; and no accepted job yields a message
 * that is malformed, carries an injected header, leaks Bcc, or goes to an address the job did not name.
 */
class IntakePropertiesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> CODES = Set.of(JobRejection.MALFORMED_JSON, JobRejection.MISSING_FIELD,
            JobRejection.INVALID_FIELD, JobRejection.INVALID_ADDRESS, JobRejection.INVALID_HEADER,
            JobRejection.INVALID_ATTACHMENT, JobRejection.HEADER_INJECTION, JobRejection.TOO_LARGE,
            JobRejection.TOO_MANY_RECIPIENTS, JobRejection.UNKNOWN_RELAY, JobRejection.SENDER_NOT_ALLOWED,
            JobRejection.TOO_MANY_ATTACHMENTS);
    private final JobReader reader = new JobReader(JSON);
    private final JobValidator validator = new JobValidator(new JobValidator.Limits(5, 3, Set.of()), Optional.empty(),
            Set.of("default", "bulk"));
    private final MimeMessageFactory mime = new MimeMessageFactory();

    @Property(tries = 1000, edgeCases = EdgeCasesMode.MIXIN)
    void anyBytesEndAsAMessageOrARejectionWithAContractCode(@ForAll("records") byte[] record) throws Exception {
        check(record);
    }

    @Property(tries = 1000, edgeCases = EdgeCasesMode.MIXIN)
    void mutatedJobsNeverYieldAnInvalidMessage(@ForAll("mutatedJobs") String record) throws Exception {
        check(record.getBytes(StandardCharsets.UTF_8));
    }

    @Property(tries = 300, shrinking = ShrinkingMode.OFF) // jqwik 1.10.1 fails to shrink joined string lists
    void longHeaderTextIsFoldedOrRejected(@ForAll("longText") String subject, @ForAll("longText") String value,
            @ForAll("fieldNames") String name, @ForAll("longText") String displayName) throws Exception {
        var job = JSON.createObjectNode().put("jobId", "prop-2").put("from", "noreply@shop.example")
                .put("subject", subject).put("text", "t");
        job.putArray("to").add(new InternetAddress("ada@example.org", displayName, "UTF-8").toString());
        job.putObject("headers").put(name, value);
        check(JSON.writeValueAsBytes(job));
    }

    private void check(byte[] record) throws Exception {
        ValidJob valid;
        SubmissionMessage message;
        try {
            valid = validator.validate(reader.read(record));
            message = mime.create(valid, MessageIds.of(valid.job().jobId(), "router.test"), 64 * 1024);
        } catch (JobRejection rejection) {
            assertThat(CODES).contains(rejection.code());
            assertThat(rejection.getMessage()).isNotBlank();
            return;
        }
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        message.writeTo(wire);
        String text = wire.toString(StandardCharsets.ISO_8859_1);
        String head = text.substring(0, text.indexOf("\r\n\r\n") + 2);
        for (String line : head.split("\r\n")) {
            assertThat(line.length()).isLessThanOrEqualTo(998);
            // every header line is a field or a folded continuation: nothing smuggled in by a CR or LF
            assertThat(line).matches("([\\x21-\\x39\\x3B-\\x7E]+:.*|[ \\t].*)");
            assertThat(line.toLowerCase(Locale.ROOT)).doesNotStartWith("bcc:");
        }
        MimeMessage parsed = new MimeMessage(Session.getInstance(new Properties()),
                new ByteArrayInputStream(wire.toByteArray()));
        assertThat(parsed.getMessageID()).isEqualTo(MessageIds.of(valid.job().jobId(), "router.test"));
        Set<String> allowed = new HashSet<>(Set.of("from", "reply-to", "to", "cc", "subject", "date", "message-id",
                "mime-version", "content-type", "content-transfer-encoding"));
        valid.job().headers().keySet().forEach(h -> allowed.add(h.toLowerCase(Locale.ROOT)));
        for (var h : java.util.Collections.list(parsed.getAllHeaders())) {
            assertThat(allowed).as("header %s", h.getName()).contains(h.getName().toLowerCase(Locale.ROOT));
        }
        assertThat(parsed.getHeader("From")).hasSize(1);
        Set<String> named = new HashSet<>();
        for (List<String> list : List.of(valid.job().to(), valid.job().cc(), valid.job().bcc())) {
            for (String a : list) {
                named.add(MailAddresses.parse("x", a).getAddress().toLowerCase(Locale.ROOT));
            }
        }
        assertThat(message.envelope()).isNotEmpty().allMatch(a -> named.contains(a.getAddress().toLowerCase(Locale.ROOT)));
        if (parsed.getRecipients(Message.RecipientType.TO) != null) {
            assertThat(parsed.getRecipients(Message.RecipientType.TO))
                    .allMatch(a -> named.contains(((InternetAddress) a).getAddress().toLowerCase(Locale.ROOT)));
        }
    }

    @Provide
    Arbitrary<byte[]> records() {
        return Arbitraries.oneOf(
                Arbitraries.bytes().array(byte[].class).ofMaxSize(300),
                Arbitraries.strings().ofMaxLength(300).map(s -> s.getBytes(StandardCharsets.UTF_8)),
                MutatedJobs.arbitrary("prop-1").map(s -> s.getBytes(StandardCharsets.UTF_8)));
    }

    /** Words of up to 1000 printable characters, so some cannot be folded. */
    @Provide
    Arbitrary<String> longText() {
        return Arbitraries.strings().withCharRange('!', '~').ofMaxLength(1000).list().ofMaxSize(3)
                .map(words -> String.join(" ", words));
    }

    @Provide
    Arbitrary<String> fieldNames() {
        return Arbitraries.strings().withCharRange('A', 'Z').ofMinLength(1).ofMaxLength(120).map(n -> "X-" + n);
    }

    @Provide
    Arbitrary<String> mutatedJobs() {
        return MutatedJobs.arbitrary("prop-1");
    }
}
