package io.submissionrouter.output;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.submissionrouter.config.SessionSettings;
import io.submissionrouter.config.TlsMode;
import io.submissionrouter.job.JobReader;
import io.submissionrouter.job.JobRejection;
import io.submissionrouter.job.JobValidator;
import io.submissionrouter.job.MailAddresses;
import io.submissionrouter.job.MessageIds;
import io.submissionrouter.job.ValidJob;
import io.submissionrouter.pass.Completion;
import io.submissionrouter.pass.Pass;
import io.submissionrouter.pass.PassConcluder;
import io.submissionrouter.pass.RecordRef;
import io.submissionrouter.pass.SourceRecord;
import io.submissionrouter.relay.Breaker;
import io.submissionrouter.relay.Endpoint;
import io.submissionrouter.results.DeliveryResult;
import io.submissionrouter.results.EndpointRef;
import io.submissionrouter.results.Status;
import io.submissionrouter.smtp.OutcomeClass;
import io.submissionrouter.smtp.RecipientReply;
import io.submissionrouter.smtp.SmtpOutcome;
import io.submissionrouter.smtp.SmtpReply;
import io.submissionrouter.smtp.SmtpStep;
import io.submissionrouter.smtp.SubmissionMessage;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.SimpleRecord;
import org.junit.jupiter.api.Test;

/**
 * The bounds of {@link RecordBounds} against real records: a job read and validated by the router's own reader and
 * validator, taken through its sessions by {@link Pass} with every answer a server gives at its longest (a reply
 * of control characters, cut where the router cuts it), its result made by {@link PassConcluder}, its records
 * serialised as the router does (a mapper with Quarkus's settings) and framed in Kafka's own record batch. Each bound
 * holds, and (for the largest form of a record) is no more than a few percent above the real one.
 */
class RecordBoundsTest {

    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
    private static final Instant NOW = Instant.parse("2026-11-27T10:15:30.123456789Z");
    private static final String DOMAIN = "router.test";
    /** What a server may answer: longer than the router keeps, of the characters JSON writes longest. */
    private static final String LONG_TEXT = "\u0001".repeat(2000);
    /** The record a retry pass reads: its completion names it. */
    private static final String RETRY_TIER = "email.jobs.retry-30s";
    private static final Endpoint PRIMARY = endpoint("primary", "smtp.example.net");
    private static final Endpoint FALLBACK = endpoint("fallback", "smtp-fallback.example.net");

    private final RecordBounds bounds = new RecordBounds(JSON, "smtp-submission-router",
            List.of(ref(PRIMARY), ref(FALLBACK)), MessageIds.of("", DOMAIN));

    @Test
    void aRetryStateItsCompletionAndItsAttemptEventStayWithinTheirBounds() throws Exception {
        Job job = job(100, 20);
        Pass d = Pass.of(job.source(), NOW, job.valid(), message(job.valid()));
        List<RecipientReply> pending = job.valid().recipients().stream()
                .map(a -> recipient(a, new SmtpReply(451, "4.2.1", LONG_TEXT))).toList();
        d.apply(PRIMARY, new SmtpOutcome(OutcomeClass.TRANSIENT, SmtpStep.RCPT, new SmtpReply(451, "4.7.1", LONG_TEXT),
                List.of(), List.of(), pending, 1234, LONG_TEXT), 5, true, NOW);
        assertThat(d.next()).isEqualTo(Pass.Next.RETRY);

        RecordBounds.Values bound = bounds.values(shape(job));
        long state = JSON.writeValueAsBytes(d.deferredState()).length;
        Completion ongoing = new Completion(Status.SENT, d.message().messageId(), NOW, RecordRef.of(job.source()),
                false, null, d.deferredState()).writtenFor(new RecordRef(RETRY_TIER, 0, Long.MAX_VALUE));
        long attempt = JSON.writeValueAsBytes(d.drainAttempts().get(0)).length;
        assertWithin(state, bound.state());
        assertWithin(JSON.writeValueAsBytes(ongoing).length, bound.completion());
        // the bound names a host of 253 characters, whatever the settings held when the job was deferred
        assertThat(attempt).isLessThanOrEqualTo(bound.attempt()).isGreaterThan(bound.attempt() - 500);
    }

    @Test
    void aResultAndItsCompletionStayWithinTheirBounds() throws Exception {
        Job job = job(100, 20);
        Pass d = Pass.of(job.source(), NOW, job.valid(), message(job.valid()));
        SmtpReply refused = new SmtpReply(550, "5.1.1", LONG_TEXT);
        List<RecipientReply> rejected = job.valid().recipients().stream().map(a -> recipient(a, refused)).toList();
        d.apply(FALLBACK, new SmtpOutcome(OutcomeClass.REJECTED, SmtpStep.RCPT, refused, List.of(), rejected,
                List.of(), 1234, null), 5, true, NOW);
        assertThat(d.status()).isEqualTo(Status.REJECTED);

        DeliveryResult result = PassConcluder.resultOf(d, NOW);
        Completion done = new Completion(result.status(), result.messageId(), result.completedAt(),
                RecordRef.of(job.source()), true, result, null).writtenFor(RecordRef.of(job.source()));
        RecordBounds.Values bound = bounds.values(shape(job));
        assertWithin(JSON.writeValueAsBytes(result).length, bound.result());
        // a completion's bound is that of its larger form, the retry state of every recipient
        assertThat((long) JSON.writeValueAsBytes(done).length).isLessThanOrEqualTo(bound.completion());
    }

    @Test
    void anInvalidResultWithALongMessageStaysWithinTheBound() throws Exception {
        Job job = job(1, 64);
        Pass d = Pass.invalid(job.source(), NOW, job.valid().job().jobId(), "default",
                job.valid().job().metadata(), new JobRejection(JobRejection.TOO_LARGE, LONG_TEXT));
        long result = JSON.writeValueAsBytes(PassConcluder.resultOf(d, NOW)).length;
        assertThat(result).isLessThanOrEqualTo(bounds.values(shape(job)).result());
    }

    /** Kafka's own batch of one record, uncompressed: what a broker compares with {@code max.message.bytes}. */
    @Test
    void aBatchOfOneRecordIsNeverLargerThanItsBound() {
        byte[] key = new byte[200];
        byte[] value = new byte[300_000];
        Header[] headers = {new RecordHeader("ce_id", new byte[36]), new RecordHeader("router.state", new byte[70_000]),
            new RecordHeader("source.topic", new byte[249])};
        int real = MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(NOW.toEpochMilli(), key, value, headers))
                .sizeInBytes();
        long bound = RecordBounds.batch(key.length, value.length, RecordBounds.header("ce_id", 36)
                + RecordBounds.header("router.state", 70_000) + RecordBounds.header("source.topic", 249));
        assertThat(real).isLessThanOrEqualTo((int) bound).isGreaterThan((int) bound - 64);
    }

    /**
     * With the default limits (100 recipients, 64 KiB of metadata) the completion and the result of the largest job
     * fit a topic created with Kafka's default (1048588 bytes): topics that earlier versions left at that default
     * keep working.
     */
    @Test
    void theLargestJobOfTheDefaultLimitsFitsTopicsAtKafkasDefault() {
        RecordBounds.Sizes most = bounds.of(OutputTopics.largestJob("default", 65_536, 100, 1_048_588));
        assertThat(most.completion()).isLessThan(1_048_588);
        assertThat(most.result()).isLessThan(1_048_588);
        assertThat(most.deadLetter()).isGreaterThan(1_048_588).isLessThan(1_048_588 + 8 * 1024);
    }

    /** The real JSON is within its bound, and the bound no more than 3% above it. */
    private static void assertWithin(long real, long bound) {
        assertThat(real).isLessThanOrEqualTo(bound).isGreaterThan(bound * 97 / 100);
    }

    private record Job(ValidJob valid, SourceRecord source) {
    }

    /**
     * A job of {@code recipients} addresses as long as a server takes, each with quotes and backslashes JSON escapes,
     * a jobId of 200 characters, half of them quotes, and {@code metadata} entries with control characters.
     */
    private static Job job(int recipients, int metadata) throws JobRejection {
        ObjectNode json = JSON.createObjectNode();
        json.put("jobId", "q\"".repeat(100));
        json.put("from", "Shop <noreply@shop.example>");
        ArrayNode to = json.putArray("to");
        for (int i = 0; i < recipients; i++) {
            String id = String.valueOf(i);
            int room = MailAddresses.MAX_ADDRESS_OCTETS - "@example.org".length() - 2 - id.length();
            to.add("\"" + id + "x".repeat(room % 2) + "\\\"".repeat(room / 2) + "\"@example.org");
        }
        json.put("subject", "Hi");
        json.put("text", "Hello");
        ObjectNode meta = json.putObject("metadata");
        for (int i = 0; i < metadata; i++) {
            meta.put("k" + i, "\u0001\"".repeat(100));
        }
        byte[] value = json.toString().getBytes(StandardCharsets.UTF_8);
        ValidJob valid = new JobValidator(new JobValidator.Limits(100, 50, Set.of()), Optional.empty(),
                Set.of("default")).validate(new JobReader(JSON).read(value));
        return new Job(valid, new SourceRecord("email.jobs", 3, 1234, NOW, "key".getBytes(StandardCharsets.UTF_8),
                value, null));
    }

    private static RecordBounds.JobShape shape(Job job) throws Exception {
        return new RecordBounds.JobShape(job.valid().job().jobId(), job.valid().job().relay(),
                JSON.writeValueAsBytes(job.valid().job().metadata()).length,
                job.valid().recipients().stream().map(InternetAddress::getAddress).toList(),
                job.source().key().length, job.source().value().length);
    }

    private static RecipientReply recipient(InternetAddress a, SmtpReply r) {
        return new RecipientReply(a.getAddress(), r.code(), r.enhancedCode(), r.text());
    }

    private static SubmissionMessage message(ValidJob job) {
        SubmissionMessage message = new SubmissionMessage(Session.getInstance(new Properties()),
                MessageIds.of(job.job().jobId(), DOMAIN));
        message.envelope(job.recipients());
        return message;
    }

    private static Endpoint endpoint(String name, String host) {
        SessionSettings spec = new SessionSettings("default", name, host, 587, TlsMode.STARTTLS, Optional::empty, List.of(),
                null, true, Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1),
                Optional.empty());
        return new Endpoint(spec, null, new Breaker(name, 4, 0.5, Duration.ofSeconds(1), 1));
    }

    private static EndpointRef ref(Endpoint e) {
        return new EndpointRef(e.name(), e.spec().host(), e.spec().port());
    }
}
