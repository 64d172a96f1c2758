package io.submissionrouter.output;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.submissionrouter.idempotency.CompletedJobs;
import io.submissionrouter.pass.Completion;
import io.submissionrouter.pass.DeferredState;
import io.submissionrouter.pass.RecordRef;
import io.submissionrouter.results.AttemptEvent;
import io.submissionrouter.results.DeliveryResult;
import io.submissionrouter.results.EndpointRef;
import io.submissionrouter.results.ErrorInfo;
import io.submissionrouter.results.RecordTexts;
import io.submissionrouter.results.Status;
import io.submissionrouter.smtp.OutcomeClass;
import io.submissionrouter.smtp.RecipientReply;
import io.submissionrouter.smtp.SmtpReply;
import io.submissionrouter.smtp.SmtpStep;
import java.io.UncheckedIOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.common.record.DefaultRecord;
import org.apache.kafka.common.record.DefaultRecordBatch;

/**
 * Upper bounds of the records a job can lead to (CONTRACT 9.3): its completion, result, attempt events, dead letter,
 * and its record on a retry tier or waiting topic, each in bytes as a broker counts it against a topic's
 * {@code max.message.bytes} (a batch of that one record, uncompressed).
 * <p>
 * Uncompressed, because the router's producer does not compress ({@code camel.component.kafka.compression-codec=none},
 * application.properties): a broker then counts exactly these bytes. A compressed batch of data that does not
 * compress can be a few bytes larger than the data, so these would not be bounds under a codec. The dead letter and the
 * retry record carry the job's own record, whose size is what its producer wrote: one compressed by its producer may
 * be larger than the jobs topic takes, and so larger than the topics sized from it (README "Record sizes").
 * <p>
 * Values are JSON of the router's own types, measured once here by serialising them with the router's mapper, every
 * text the job does not bring at its longest ({@link SmtpReply#MAX_TEXT_CHARS}, {@link RecordTexts}) and made of
 * U+0001, which Jackson writes longest (six bytes, {@code \u0001}), every number at its longest. What a job brings
 * (jobId, relay, metadata, recipients) is added per job: a field's JSON sits verbatim in its record, so a record grows
 * by exactly what the field's JSON grows, and each recipient adds one list item (in the result) or two (in a retry
 * state: pending, and pending with its last reply). Headers and framing are added from their longest values.
 */
public final class RecordBounds {

    /** What a job brings to the records it leads to. */
    public record JobShape(String jobId, String relay, long metadataJsonBytes, List<String> recipients,
            long sourceKeyBytes, long sourceValueBytes) {
    }

    /** Upper bounds, in bytes, of each record a job leads to. */
    public record Sizes(long completion, long result, long attempt, long deadLetter, long deferred) {
    }

    /** The latest time the router writes (ISO-8601 with nanoseconds: the longest form before the year 10000). */
    static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999999999Z");
    /** An enhanced status code as {@link SmtpReply#parse} takes it: class, subject and detail of up to 1.3.3 digits. */
    static final int MAX_ENHANCED_CODE_CHARS = 9;
    /** The longest topic name a broker takes (a dead letter's {@code source.topic}). */
    static final int MAX_TOPIC_CHARS = 249;
    /** The longest host name (RFC 1035, as text). */
    static final int MAX_HOST_CHARS = 253;
    private static final int UUID_CHARS = 36;
    private static final int LONG_CHARS = String.valueOf(Long.MIN_VALUE).length();
    private static final int INT_CHARS = String.valueOf(Integer.MIN_VALUE).length();
    /** The longest varint of an int: a record's key, value, header count and each header's name and value length. */
    private static final int VARINT = 5;

    private final ObjectMapper mapper;
    private final String ceSource;
    private final EndpointRef endpoint;
    private final String messageId;
    /** Bytes per character of a text header at most (camel-kafka encodes them in the JVM's default charset). */
    private final int headerBytesPerChar;
    /** Bytes of a JSON header per byte of its UTF-8 JSON at most: 1 when the default charset is UTF-8. */
    private final int jsonHeaderFactor;
    private final long resultFixed;
    private final long resultPerRecipient;
    private final long stateFixed;
    private final long statePerRecipient;
    private final long doneEnvelope;
    private final long ongoingEnvelope;
    private final long attemptFixed;

    /**
     * @param mapper    the mapper the records are written with
     * @param ceSource  {@code submission.cloudevents.source}
     * @param endpoints every endpoint a result or attempt event may name (the longest is taken)
     * @param messageId a Message-ID as the router makes them (their length does not depend on the jobId)
     */
    public RecordBounds(ObjectMapper mapper, String ceSource, List<EndpointRef> endpoints, String messageId) {
        this.mapper = mapper;
        this.ceSource = ceSource;
        // the longest host name DNS has, too: a deferred job's state names an endpoint of the settings it was deferred
        // under, which may have been longer
        String name = endpoints.stream().map(EndpointRef::name).max(Comparator.comparingLong(this::json)).orElse("");
        this.endpoint = Stream.concat(endpoints.stream(), Stream.of(new EndpointRef(name, "h".repeat(MAX_HOST_CHARS),
                Integer.MIN_VALUE))).max(Comparator.comparingLong(this::json)).orElseThrow();
        this.messageId = messageId;
        Charset charset = Charset.defaultCharset();
        this.headerBytesPerChar = (int) Math.ceil(charset.newEncoder().maxBytesPerChar());
        this.jsonHeaderFactor = charset.equals(StandardCharsets.UTF_8) ? 1 : headerBytesPerChar;
        DeliveryResult noRecipient = result(List.of());
        this.resultFixed = json(noRecipient);
        this.resultPerRecipient = json(result(List.of("", ""))) - json(result(List.of("")));
        DeferredState noPending = state(List.of());
        this.stateFixed = json(noPending);
        this.statePerRecipient = json(state(List.of("", ""))) - json(state(List.of("")));
        this.doneEnvelope = json(completion(noRecipient, null)) - resultFixed;
        this.ongoingEnvelope = json(completion(null, noPending)) - stateFixed;
        this.attemptFixed = json(new AttemptEvent("", Integer.MIN_VALUE, "", endpoint, longest(SmtpStep.class),
                longest(OutcomeClass.class), Integer.MIN_VALUE, text(MAX_ENHANCED_CODE_CHARS),
                text(SmtpReply.MAX_TEXT_CHARS), Long.MIN_VALUE, LATEST));
    }

    /** Upper bounds, in bytes, of the JSON a job leads to: record values, and the retry state a header carries. */
    record Values(long completion, long result, long attempt, long state) {
    }

    /** The bounds of the records {@code job} can lead to. */
    public Sizes of(JobShape job) {
        Values v = values(job);
        long id = headerText(job.jobId());
        return new Sizes(
                batch(id, v.completion(), header(CompletedJobs.ORIGIN_HEADER, UUID_CHARS)),
                batch(id, v.result(), cloudEventHeaders(id, longestResultType())),
                batch(id, v.attempt(), cloudEventHeaders(id, KafkaRecords.ATTEMPT_TYPE)),
                deadLetter(job.sourceKeyBytes(), job.sourceValueBytes(), job.jobId()),
                deferred(job.sourceKeyBytes(), job.sourceValueBytes(), job.relay(), v.state()));
    }

    /**
     * The dead letter of a record of {@code keyBytes} and {@code valueBytes} (its original key and value), job
     * {@code jobId} (null when it could not be read).
     */
    public long deadLetter(long keyBytes, long valueBytes, String jobId) {
        return batch(keyBytes, valueBytes, deadLetterHeaders(headerText(jobId)));
    }

    /**
     * The record on a retry tier or waiting topic of a record of {@code keyBytes} and {@code valueBytes}, of relay
     * group {@code relay}, whose retry state is {@code stateJsonBytes} of JSON.
     */
    public long deferred(long keyBytes, long valueBytes, String relay, long stateJsonBytes) {
        return batch(keyBytes, valueBytes, deferredHeaders(relay, stateJsonBytes));
    }

    Values values(JobShape job) {
        long addresses = job.recipients().stream().mapToLong(this::growth).sum();
        long recipients = job.recipients().size();
        long result = resultFixed + growth(job.jobId()) + growth(job.relay()) + job.metadataJsonBytes() - 2
                + recipients * resultPerRecipient + addresses;
        long state = stateFixed + recipients * statePerRecipient + 2 * addresses;
        long completion = Math.max(doneEnvelope + result, ongoingEnvelope + state);
        long attempt = attemptFixed + growth(job.jobId()) + growth(job.relay());
        return new Values(completion, result, attempt, state);
    }

    /**
     * A batch of one record: the batch header, the record's own fields at their longest (length, attributes,
     * timestamp and offset deltas), key and value with their lengths, and {@code headers} (framing included).
     */
    static long batch(long keyBytes, long valueBytes, long headers) {
        return DefaultRecordBatch.RECORD_BATCH_OVERHEAD + DefaultRecord.MAX_RECORD_OVERHEAD + VARINT + keyBytes
                + VARINT + valueBytes + VARINT + headers;
    }

    /** One header: its name and value, each with its length. */
    static long header(String name, long valueBytes) {
        return VARINT + name.getBytes(StandardCharsets.UTF_8).length + VARINT + valueBytes;
    }

    /** A result's or attempt event's CloudEvents headers (KafkaRecords), each at its longest. */
    private long cloudEventHeaders(long jobIdBytes, String type) {
        return header("ce_specversion", 3) + header("ce_id", UUID_CHARS) + header("ce_source", headerText(ceSource))
                + header("ce_type", headerText(type)) + header("ce_subject", jobIdBytes)
                + header("ce_time", LATEST.toString().length()) + header("content-type", "application/json".length())
                + header("traceparent", (long) headerBytesPerChar * RecordTexts.MAX_TRACEPARENT_CHARS);
    }

    /** Where a dead letter or deferred record comes from ({@code source.*}, DeferredRecords.writeOriginal). */
    private static long sourceHeaders() {
        return header("source.topic", MAX_TOPIC_CHARS) + header("source.partition", INT_CHARS)
                + header("source.offset", LONG_CHARS);
    }

    private long deadLetterHeaders(long jobIdBytes) {
        return sourceHeaders() + header("error.code", (long) headerBytesPerChar * RecordTexts.MAX_CODE_CHARS)
                + header("error.message", (long) headerBytesPerChar * RecordTexts.MAX_MESSAGE_CHARS)
                + header("attempts", INT_CHARS) + header("jobId", jobIdBytes);
    }

    private long deferredHeaders(String relay, long stateJson) {
        return sourceHeaders() + header("source.timestamp", LONG_CHARS) + header("router.relay", headerText(relay))
                + header("traceparent", (long) headerBytesPerChar * RecordTexts.MAX_TRACEPARENT_CHARS)
                + header("router.state", jsonHeaderFactor * stateJson);
    }

    private static String longestResultType() {
        return Arrays.stream(Status.values()).map(Status::cloudEventType).max(Comparator.comparingInt(String::length))
                .orElseThrow();
    }

    private DeliveryResult result(List<String> recipients) {
        Status status = longest(Status.class);
        return new DeliveryResult("", status, "", endpoint, Integer.MIN_VALUE, text(MAX_ENHANCED_CODE_CHARS),
                text(SmtpReply.MAX_TEXT_CHARS), messageId, Integer.MIN_VALUE, false, List.of(), replies(recipients),
                List.of(), new ErrorInfo(text(RecordTexts.MAX_CODE_CHARS), text(RecordTexts.MAX_MESSAGE_CHARS)),
                Map.of(), LATEST, LATEST, status);
    }

    private DeferredState state(List<String> pending) {
        DeferredState.LastSession last = new DeferredState.LastSession(endpoint, longest(OutcomeClass.class),
                longest(SmtpStep.class), Integer.MIN_VALUE, text(MAX_ENHANCED_CODE_CHARS),
                text(SmtpReply.MAX_TEXT_CHARS), text(RecordTexts.MAX_DETAIL_CHARS));
        return new DeferredState(LATEST, Integer.MIN_VALUE, Integer.MIN_VALUE, Integer.MIN_VALUE, false, pending,
                List.of(), List.of(), last, replies(pending), Integer.MIN_VALUE);
    }

    private Completion completion(DeliveryResult result, DeferredState state) {
        RecordRef longestRef = new RecordRef("t".repeat(MAX_TOPIC_CHARS), Integer.MIN_VALUE, Long.MIN_VALUE);
        return new Completion(longest(Status.class), messageId, LATEST, longestRef, false, result, state, longestRef);
    }

    private List<RecipientReply> replies(List<String> addresses) {
        return addresses.stream().map(a -> new RecipientReply(a, Integer.MIN_VALUE, text(MAX_ENHANCED_CODE_CHARS),
                text(SmtpReply.MAX_TEXT_CHARS))).toList();
    }

    /** The constant of {@code type} whose JSON is longest. */
    private <E extends Enum<E>> E longest(Class<E> type) {
        return Arrays.stream(type.getEnumConstants()).max(Comparator.comparingLong(this::json)).orElseThrow();
    }

    /** A text of {@code chars} characters that Jackson writes longest. */
    private static String text(int chars) {
        return "\u0001".repeat(chars);
    }

    /** Bytes a record grows by when a field is {@code s} instead of the empty string (null is written {@code null}). */
    private long growth(String s) {
        return (s == null ? "null".length() : json(s)) - 2;
    }

    /** Bytes of a text header (camel-kafka: the JVM's default charset). */
    private static long headerText(String s) {
        return s == null ? 0 : s.getBytes(Charset.defaultCharset()).length;
    }

    private long json(Object value) {
        try {
            return mapper.writeValueAsBytes(value).length;
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
