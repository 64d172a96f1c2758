package io.submissionrouter.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.submissionrouter.nativeimage.BlindMapper;
import jakarta.mail.internet.InternetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The checks of CONTRACT 2, one error code each, with messages that name the field. */
class JobValidationTest {

    private final JobReader reader = new JobReader(new ObjectMapper());
    private final JobValidator validator = new JobValidator(new JobValidator.Limits(3, 50, Set.of()), Optional.empty(),
            Set.of("default"));

    private ValidJob valid(String json) throws JobRejection {
        return validator.validate(reader.read(json.getBytes(StandardCharsets.UTF_8)));
    }

    private static String job(String extra) {
        return "{\"jobId\":\"j-1\",\"from\":\"Shop <noreply@shop.example>\",\"to\":[\"ada@example.org\"],"
                + "\"subject\":\"Hi\",\"text\":\"Hello\"" + extra + "}";
    }

    private void rejects(String json, String code, String fieldInMessage) {
        assertThatThrownBy(() -> valid(json)).isInstanceOfSatisfying(JobRejection.class, r -> {
            assertThat(r.code()).isEqualTo(code);
            assertThat(r.getMessage()).contains(fieldInMessage);
        });
    }

    @Test
    void acceptsAMinimalJobAndIgnoresUnknownFields() throws Exception {
        ValidJob v = valid(job(",\"futureField\":{\"x\":1}"));
        assertThat(v.from().getPersonal()).isEqualTo("Shop");
        assertThat(v.from().getAddress()).isEqualTo("noreply@shop.example");
        assertThat(v.job().relay()).isEqualTo("default");
    }

    @Test
    void rejectsWhatCannotBeFoldedIntoLinesOf998Octets() throws Exception {
        String word = "x".repeat(JobValidator.MAX_WORD + 1);
        rejects(job(",\"headers\":{\"" + "X".repeat(77) + "\":\"v\"}"), JobRejection.INVALID_HEADER, "field name of 77");
        rejects(job(",\"headers\":{\"X-Long\":\"a " + word + " b\"}"), JobRejection.INVALID_HEADER,
                "headers.X-Long");
        rejects(job("").replace("\"Hi\"", "\"" + word + "\""), JobRejection.INVALID_FIELD, "subject");
        rejects(job(",\"cc\":[\"" + word + " <grace@example.org>\"]"), JobRejection.INVALID_ADDRESS, "cc[0]");
        String fits = "x".repeat(JobValidator.MAX_WORD);
        ValidJob v = valid(job(",\"headers\":{\"" + "X".repeat(76) + "\":\"" + fits + "\"}")
                .replace("\"Hi\"", "\"" + fits + " " + fits + "\""));
        assertThat(v.job().subject()).hasSize(2 * JobValidator.MAX_WORD + 1);
    }

    /**
     * A valid job the router cannot bind (in a native image, EmailJob left out of the reflection registrations) is the
     * router's fault: never INVALID / MALFORMED_JSON, which would tell a producer its valid job is malformed.
     */
    @Test
    void aJobTheRouterCannotBindIsItsOwnFaultNotTheJobs() {
        JobReader blind = new JobReader(BlindMapper.blindTo(EmailJob.class));
        assertThatThrownBy(() -> blind.read(job("").getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(RouterFault.class).isNotInstanceOf(JobRejection.class)
                .hasMessageContaining(EmailJob.class.getName());
    }

    @Test
    void rejectsWhatIsNotAJsonObject() {
        rejects("{\"jobId\":", JobRejection.MALFORMED_JSON, "not JSON");
        rejects("[1,2]", JobRejection.MALFORMED_JSON, "JSON object");
        rejects("", JobRejection.MALFORMED_JSON, "no value");
    }

    @Test
    void rejectsWrongTypesNamingTheField() {
        rejects(job(",\"cc\":\"grace@example.org\""), JobRejection.INVALID_FIELD, "cc");
    }

    @Test
    void enforcesTheShippedSchemaWhereJacksonAloneWouldCoerce() {
        rejects(job(",\"metadata\":{\"tenant\":42}"), JobRejection.INVALID_FIELD, "metadata.tenant");
        rejects("{\"jobId\":\"j\",\"from\":\"a@b.example\",\"to\":[\"c@d.example\"],\"subject\":42,\"text\":\"t\"}",
                JobRejection.INVALID_FIELD, "subject");
        rejects(job(",\"bcc\":[true]"), JobRejection.INVALID_FIELD, "bcc[0]");
        rejects(job(",\"attachments\":[{\"filename\":\"\",\"contentBase64\":\"AA==\"}]"),
                JobRejection.MISSING_FIELD, "attachments[0].filename");
        rejects(job(",\"attachments\":[{\"filename\":\"a.txt\"}]"), JobRejection.MISSING_FIELD,
                "attachments[0].contentBase64");
    }

    @Test
    void acceptsOnlySendersOfTheAllowedDomainsWhenTheyAreSet() throws Exception {
        JobValidator shopOnly = new JobValidator(new JobValidator.Limits(3, 2, Set.of("Shop.Example ")),
                Optional.empty(), Set.of("default"));
        assertThat(shopOnly.validate(reader.read(job("").getBytes(StandardCharsets.UTF_8))).from().getAddress())
                .isEqualTo("noreply@shop.example");
        String spoofed = job("").replace("noreply@shop.example", "ceo@bank.example");
        assertThatThrownBy(() -> shopOnly.validate(reader.read(spoofed.getBytes(StandardCharsets.UTF_8))))
                .isInstanceOfSatisfying(JobRejection.class, r -> {
                    assertThat(r.code()).isEqualTo(JobRejection.SENDER_NOT_ALLOWED);
                    assertThat(r.getMessage()).contains("from").contains("bank.example");
                });
        String subdomain = job("").replace("noreply@shop.example", "a@evil.shop.example.net");
        assertThatThrownBy(() -> shopOnly.validate(reader.read(subdomain.getBytes(StandardCharsets.UTF_8))))
                .hasFieldOrPropertyWithValue("code", JobRejection.SENDER_NOT_ALLOWED);
    }

    @Test
    void limitsTheNumberOfAttachments() {
        JobValidator two = new JobValidator(new JobValidator.Limits(3, 2, Set.of()), Optional.empty(), Set.of("default"));
        String a = "{\"filename\":\"a.txt\",\"contentBase64\":\"AA==\"}";
        String json = job(",\"attachments\":[" + a + "," + a + "," + a + "]");
        assertThatThrownBy(() -> two.validate(reader.read(json.getBytes(StandardCharsets.UTF_8))))
                .isInstanceOfSatisfying(JobRejection.class, r -> {
                    assertThat(r.code()).isEqualTo(JobRejection.TOO_MANY_ATTACHMENTS);
                    assertThat(r.getMessage()).contains("max-attachments");
                });
    }

    @Test
    void acceptsDisplayNamesQuotedLocalPartsAndInternationalisedDomainsInPunycode() throws Exception {
        ValidJob v = validator.validate(reader.read(job(",\"cc\":[\"\\\"Grace, Admiral\\\" <grace@example.org>\",\"\\\"a b\\\"@example.org\",\"Jürgen <j@bücher.example>\"]").replace("\"to\":[\"ada@example.org\"],", "")
                .getBytes(StandardCharsets.UTF_8)));
        assertThat(v.cc()).extracting(InternetAddress::getAddress)
                .containsExactly("grace@example.org", "\"a b\"@example.org", "j@xn--bcher-kva.example");
        assertThat(v.cc().get(0).getPersonal()).isEqualTo("Grace, Admiral");
        assertThat(v.cc().get(2).getPersonal()).isEqualTo("Jürgen");
        assertThat(v.needsSmtpUtf8()).isFalse();
        ValidJob utf8 = valid(job(",\"cc\":[\"Jürgen <jürgen@bücher.example>\"]"));
        assertThat(utf8.cc().get(0).getAddress()).isEqualTo("jürgen@xn--bcher-kva.example");
        assertThat(utf8.needsSmtpUtf8()).isTrue();
        assertThat(valid(job("").replace("noreply@shop", "büro@shop")).needsSmtpUtf8()).isTrue();
        rejects(job(",\"cc\":[\"jür gen@example.org\"]"), JobRejection.INVALID_ADDRESS, "cc[0]");
        rejects(job(",\"cc\":[\"jür\u00a0gen@example.org\"]"), JobRejection.INVALID_ADDRESS, "space");
        rejects(job(",\"cc\":[\"jür\u200egen@example.org\"]"), JobRejection.INVALID_ADDRESS, "formatting");
        rejects(job(",\"cc\":[\"jür\u0085gen@example.org\"]"), JobRejection.INVALID_ADDRESS, "control");
        rejects(job(",\"cc\":[\"a@-bad-.example\"]"), JobRejection.INVALID_ADDRESS, "cc[0]");
    }

    @Test
    void rejectsMissingRequiredFields() {
        rejects("{\"from\":\"a@b.example\",\"to\":[\"c@d.example\"],\"subject\":\"s\",\"text\":\"t\"}",
                JobRejection.MISSING_FIELD, "jobId");
        rejects("{\"jobId\":\"j\",\"to\":[\"c@d.example\"],\"subject\":\"s\",\"text\":\"t\"}",
                JobRejection.MISSING_FIELD, "from");
        rejects("{\"jobId\":\"j\",\"from\":\"a@b.example\",\"subject\":\"s\",\"text\":\"t\"}",
                JobRejection.MISSING_FIELD, "recipient");
        rejects("{\"jobId\":\"j\",\"from\":\"a@b.example\",\"to\":[\"c@d.example\"],\"text\":\"t\"}",
                JobRejection.MISSING_FIELD, "subject");
        rejects("{\"jobId\":\"j\",\"from\":\"a@b.example\",\"to\":[\"c@d.example\"],\"subject\":\"s\"}",
                JobRejection.MISSING_FIELD, "text and html");
    }

    @Test
    void usesTheDefaultFromWhenTheJobHasNone() throws Exception {
        JobValidator withDefault = new JobValidator(new JobValidator.Limits(3, 50, Set.of()),
                Optional.of("Router <router@shop.example>"), Set.of("default"));
        ValidJob v = withDefault.validate(reader.read(
                "{\"jobId\":\"j\",\"to\":[\"c@d.example\"],\"subject\":\"s\",\"text\":\"t\"}".getBytes(StandardCharsets.UTF_8)));
        assertThat(v.from().getAddress()).isEqualTo("router@shop.example");
    }

    @Test
    void rejectsBadJobIds() {
        rejects(job("").replace("\"j-1\"", "\"has space\""), JobRejection.INVALID_FIELD, "jobId");
        rejects(job("").replace("\"j-1\"", "\"" + "x".repeat(201) + "\""), JobRejection.INVALID_FIELD, "jobId");
        // the schema alone refuses these: Java's $ would match before a final line break
        rejects(job("").replace("\"j-1\"", "\"j-1\\n\""), JobRejection.INVALID_FIELD, "jobId must be 1 to 200");
        rejects(job("").replace("\"j-1\"", "\"j-1\\u2028\""), JobRejection.INVALID_FIELD, "jobId must be 1 to 200");
    }

    @Test
    void rejectsInvalidAddresses() {
        rejects(job("").replace("ada@example.org", "not an address"), JobRejection.INVALID_ADDRESS, "to[0]");
        rejects(job("").replace("ada@example.org", "ada"), JobRejection.INVALID_ADDRESS, "to[0]");
        rejects(job("").replace("ada@example.org", "a@example.org, b@example.org"), JobRejection.INVALID_ADDRESS, "to[0]");
        rejects(job(",\"replyTo\":\"@@\""), JobRejection.INVALID_ADDRESS, "replyTo");
    }

    @Test
    void boundsEachAddressToWhatAServerTakes() throws Exception {
        String local = "a".repeat(MailAddresses.MAX_ADDRESS_OCTETS - "@example.org".length());
        assertThat(valid(job("").replace("ada@example.org", "Ada <" + local + "@example.org>")).to().get(0)
                .getAddress()).hasSize(MailAddresses.MAX_ADDRESS_OCTETS);
        rejects(job("").replace("ada@example.org", local + "a@example.org"), JobRejection.INVALID_ADDRESS,
                "to[0] has more than 254 octets");
        // octets, not characters: each ü takes two
        rejects(job(",\"bcc\":[\"" + "ü".repeat(125) + "@example.org\"]"), JobRejection.INVALID_ADDRESS,
                "bcc[0] has more than 254 octets");
        rejects(job("").replace("ada@example.org", "\\\"a\\u0001b\\\"@example.org"), JobRejection.INVALID_ADDRESS,
                "to[0]");
    }

    /** Every result echoes the metadata, DUPLICATE and INVALID ones too: its size is bounded (CONTRACT 9.3). */
    @Test
    void boundsTheMetadataThatEveryResultEchoes() throws Exception {
        rejects(job(",\"metadata\":{\"k\":\"" + "x".repeat(16_385) + "\"}"), JobRejection.TOO_LARGE, "metadata.k");
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 65; i++) {
            many.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":\"v\"");
        }
        rejects(job(",\"metadata\":{" + many + "}"), JobRejection.TOO_LARGE, "metadata");
        rejects(job(",\"metadata\":{\"" + "k".repeat(129) + "\":\"v\"}"), JobRejection.TOO_LARGE, "metadata");

        // in all: {"k":"..."} is 8 bytes and its value
        EchoedFields echoed = new EchoedFields(new ObjectMapper(), 100, Set.of("default"));
        EmailJob fits = reader.read(job(",\"metadata\":{\"k\":\"" + "x".repeat(92) + "\"}")
                .getBytes(StandardCharsets.UTF_8));
        echoed.check(fits);
        assertThat(echoed.metadata(fits)).isEqualTo(fits.metadata());
        EmailJob over = reader.read(job(",\"metadata\":{\"k\":\"" + "x".repeat(93) + "\"}")
                .getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> echoed.check(over)).isInstanceOfSatisfying(JobRejection.class, r -> {
            assertThat(r.code()).isEqualTo(JobRejection.TOO_LARGE);
            assertThat(r.getMessage()).contains("101 bytes").contains("submission.limits.max-metadata-bytes (100)");
        });
        assertThat(echoed.metadata(over)).as("not echoed").isEmpty();
    }

    @Test
    void echoesAConfiguredRelayOrAShortValidNameOnly() throws Exception {
        EchoedFields echoed = new EchoedFields(new ObjectMapper(), 100, Set.of("default"));
        assertThat(echoed.relay(reader.read(job(",\"relay\":\"marketing\"").getBytes(StandardCharsets.UTF_8))))
                .isEqualTo("marketing");
        assertThat(echoed.relay(reader.read(job(",\"relay\":\"" + "m".repeat(65) + "\"")
                .getBytes(StandardCharsets.UTF_8)))).isNull();
        assertThat(echoed.relay(null)).isNull();
    }

    @Test
    void rejectsCrOrLfInAnythingThatBecomesAHeader() {
        rejects(job("").replace("\"Hi\"", "\"Hi\\r\\nBcc: x@evil.example\""), JobRejection.HEADER_INJECTION, "subject");
        rejects(job(",\"headers\":{\"X-A\":\"v\\nBcc: x@evil.example\"}"), JobRejection.HEADER_INJECTION, "headers.X-A");
        rejects(job("").replace("Shop <", "Shop\\n <"), JobRejection.HEADER_INJECTION, "from");
        rejects(job(",\"attachments\":[{\"filename\":\"a\\r.pdf\",\"contentBase64\":\"AA==\"}]"),
                JobRejection.HEADER_INJECTION, "attachments[0].filename");
        rejects(job(",\"attachments\":[{\"filename\":\"a.pdf\",\"contentType\":\"application/pdf\\r\\nBcc: x@evil.example\",\"contentBase64\":\"AA==\"}]"),
                JobRejection.HEADER_INJECTION, "attachments[0].contentType");
        rejects(job(",\"attachments\":[{\"filename\":\"a.png\",\"contentId\":\"x\\r\\nBcc: y\",\"contentBase64\":\"AA==\"}]"),
                JobRejection.INVALID_FIELD, "attachments[0].contentId");
        rejects(job(",\"cc\":[\"Grace\\r\\nBcc: x@evil.example <grace@example.org>\"]"), JobRejection.HEADER_INJECTION,
                "cc[0]");
    }

    @Test
    void rejectsATrailingLineBreakInAContentIdThatTheSchemasPatternLetsThrough() {
        rejects(job(",\"html\":\"<img src=cid:logo>\",\"attachments\":[{\"filename\":\"a.png\",\"contentId\":\"logo\\r\\n\","
                + "\"contentBase64\":\"AA==\"}]"), JobRejection.HEADER_INJECTION, "attachments[0].contentId");
        rejects(job(",\"html\":\"<img src=cid:logo>\",\"attachments\":[{\"filename\":\"a.png\",\"contentId\":\"logo\\n\","
                + "\"contentBase64\":\"AA==\"}]"), JobRejection.HEADER_INJECTION, "attachments[0].contentId");
    }

    @Test
    void rejectsRouterOwnedAndMalformedHeaderNames() {
        rejects(job(",\"headers\":{\"Message-ID\":\"<x@y>\"}"), JobRejection.INVALID_HEADER, "Message-ID");
        rejects(job(",\"headers\":{\"content-type\":\"text/html\"}"), JobRejection.INVALID_HEADER, "content-type");
        rejects(job(",\"headers\":{\"Bcc\":\"x@y.example\"}"), JobRejection.INVALID_HEADER, "Bcc");
        rejects(job(",\"headers\":{\"X Bad\":\"v\"}"), JobRejection.INVALID_HEADER, "X Bad");
        rejects(job(",\"headers\":{\"X:Bad\":\"v\"}"), JobRejection.INVALID_HEADER, "X:Bad");
    }

    @Test
    void limitsTheNumberOfRecipients() {
        rejects(job(",\"cc\":[\"a@x.example\",\"b@x.example\"],\"bcc\":[\"c@x.example\"]"),
                JobRejection.TOO_MANY_RECIPIENTS, "max-recipients");
    }

    @Test
    void rejectsUnknownOrMalformedRelayNames() {
        rejects(job(",\"relay\":\"bulk\""), JobRejection.UNKNOWN_RELAY, "bulk");
        rejects(job(",\"relay\":\"Bulk-1\""), JobRejection.INVALID_FIELD, "relay");
        rejects(job(",\"relay\":\"default\\n\""), JobRejection.INVALID_FIELD, "relay must match [a-z0-9]+");
    }

    @Test
    void rejectsAttachmentsThatAreNotBase64() {
        rejects(job(",\"attachments\":[{\"filename\":\"a.pdf\",\"contentBase64\":\"%%%\"}]"),
                JobRejection.INVALID_ATTACHMENT, "attachments[0].contentBase64");
        rejects(job(",\"attachments\":[{\"contentBase64\":\"AA==\"}]"), JobRejection.MISSING_FIELD,
                "attachments[0].filename");
    }

    @Test
    void refusesAMessageLargerThanTheLimit() throws Exception {
        ValidJob v = valid(job(""));
        MimeMessageFactory factory = new MimeMessageFactory();
        assertThat(factory.create(v, "<id@x>", 10_000).envelope()).hasSize(1);
        assertThatThrownBy(() -> factory.create(v, "<id@x>", 100)).isInstanceOfSatisfying(JobRejection.class,
                r -> assertThat(r.code()).isEqualTo(JobRejection.TOO_LARGE));
    }

    @Test
    void salvagesTheJobIdFromTheKeyWhenTheValueIsUnreadable() {
        assertThat(reader.salvageJobId("nope".getBytes(StandardCharsets.UTF_8), "k-1".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo("k-1");
        assertThat(reader.salvageJobId("{\"jobId\":\"in-value\"}".getBytes(StandardCharsets.UTF_8), null))
                .isEqualTo("in-value");
        assertThat(reader.salvageJobId("nope".getBytes(StandardCharsets.UTF_8), "bad key".getBytes(StandardCharsets.UTF_8)))
                .isNull();
    }
}
