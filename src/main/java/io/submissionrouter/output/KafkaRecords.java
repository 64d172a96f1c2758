package io.submissionrouter.output;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.job.JobProperties;
import io.submissionrouter.kafka.KafkaWrites;
import io.submissionrouter.pass.Pass;
import io.submissionrouter.pass.PassOutputs;
import io.submissionrouter.results.AttemptEvent;
import io.submissionrouter.results.DeliveryResult;
import io.submissionrouter.retry.DeferredRecords;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.support.DefaultMessage;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Shapes the records the router writes: body and key, CloudEvents headers in Kafka binary mode for results
 * and attempt events (CONTRACT 3), and the dead-letter headers around the original bytes (CONTRACT 4), and notes
 * each one Kafka acknowledged in the pass's {@link PassOutputs}. The routes clear every header before calling it,
 * so nothing from the input leaks into an output record.
 * <p>
 * A record's {@code ce_id} is derived from what it reports (type, jobId, time, attempt), so a record written again
 * after a failed write carries the same id and consumers can tell the copies apart from new results.
 */
@ApplicationScoped
@Named("kafkaRecords")
public class KafkaRecords {

    static final String ATTEMPT_TYPE = "email.submission.attempt";

    private final ObjectMapper mapper;
    private final String source;
    private final boolean attemptsEnabled;
    private final KafkaWrites writes;
    private final DeferredRecords deferred;
    private final SubmissionConfig.Topics topics;

    /** What a record of the write is, for the ledger ({@link PassOutputs}). */
    enum Kind { ATTEMPT, DEAD_LETTER, RESULT, DEFERRED }

    /** One record of the pass's write: the Camel message that carries it, and where it goes. */
    record Outgoing(Kind kind, String topic, Message message) {
        /** Kafka acknowledged it (camel-kafka put the record's metadata, with an offset, on its message). */
        boolean acknowledged() {
            List<?> meta = message.getHeader(KafkaConstants.KAFKA_RECORD_META, List.class);
            return meta != null && !meta.isEmpty() && meta.get(0) instanceof RecordMetadata m && m.hasOffset();
        }
    }

    public KafkaRecords(ObjectMapper mapper, SubmissionConfig config, KafkaWrites writes, DeferredRecords deferred) {
        this.mapper = mapper;
        this.writes = writes;
        this.deferred = deferred;
        this.topics = config.topics();
        this.source = config.cloudEvents().source();
        this.attemptsEnabled = config.attempts().enabled();
    }

    /** Whether the pass still owes Kafka its completion (the publish route writes it first, alone). */
    public boolean owesCompletion(@ExchangeProperty(JobProperties.PASS) Pass d) {
        return d.outputs().completion() != null;
    }

    /**
     * Whether the pass still owes Kafka other records: attempt events, dead letter, result, or the job's record on its
     * next topic. With {@code submission.attempts.enabled=false} its attempt events are let go here, unwritten.
     */
    public boolean owesRecords(@ExchangeProperty(JobProperties.PASS) Pass d) {
        PassOutputs out = d.outputs();
        if (!attemptsEnabled) {
            out.attempts().forEach(a -> out.attemptWritten()); // submission.attempts.enabled=false: none is written
        }
        return !out.attempts().isEmpty() || out.deadLetter() || out.result() != null || out.deferTo() != null;
    }

    /**
     * The body of the pass's one write after its completion: every record it still owes, in this order, each naming
     * its topic ({@code kafka.OVERRIDE_TOPIC}) and key: the attempt events (a CloudEvent each, keyed by jobId), the
     * dead letter (the original record, byte for byte, with why), the result (a CloudEvent, keyed by jobId) and the
     * job's record on its retry tier or waiting topic. camel-kafka sends them together and waits for all of them once.
     */
    public void records(Exchange exchange) throws JsonProcessingException {
        Pass d = exchange.getProperty(JobProperties.PASS, Pass.class);
        PassOutputs out = d.outputs();
        List<Outgoing> outgoing = new ArrayList<>();
        for (PassOutputs.Attempt a : out.attempts()) {
            outgoing.add(new Outgoing(Kind.ATTEMPT, topics.attempts(), attempt(exchange, a)));
        }
        if (out.deadLetter()) {
            outgoing.add(new Outgoing(Kind.DEAD_LETTER, topics.dlq(), deadLetter(exchange, d)));
        }
        if (out.result() != null) {
            outgoing.add(new Outgoing(Kind.RESULT, topics.results(), result(exchange, out)));
        }
        if (out.deferTo() != null) {
            Message m = message(exchange, out.deferTo());
            deferred.record(m, d);
            outgoing.add(new Outgoing(Kind.DEFERRED, out.deferTo(), m));
        }
        exchange.setProperty(JobProperties.OUTGOING, outgoing);
        exchange.getIn().setBody(outgoing.stream().map(Outgoing::message).toList());
    }

    /**
     * Notes in the pass's outputs each record Kafka acknowledged, and takes it out of the write, so that a write
     * tried again (route configuration kafka-writes) carries only the others. Sets {@link JobProperties#REFUSED_TOPICS}: the
     * topics of the records left. Called after the write, and before each retry of a refused one.
     */
    public void acknowledged(Exchange exchange) {
        @SuppressWarnings("unchecked")
        List<Outgoing> outgoing = exchange.getProperty(JobProperties.OUTGOING, List.class);
        if (outgoing == null) {
            return;
        }
        Pass pass = exchange.getProperty(JobProperties.PASS, Pass.class);
        PassOutputs out = pass.outputs();
        List<Outgoing> left = new ArrayList<>();
        boolean attemptsInOrder = true; // attempt events are noted in order: one not acknowledged holds the later ones
        Set<String> refused = new LinkedHashSet<>();
        for (Outgoing o : outgoing) {
            boolean ok = o.acknowledged() && (o.kind() != Kind.ATTEMPT || attemptsInOrder);
            if (o.kind() == Kind.ATTEMPT && !ok) {
                attemptsInOrder = false;
            }
            if (ok) {
                switch (o.kind()) {
                    case ATTEMPT -> out.attemptWritten();
                    case DEAD_LETTER -> out.deadLetterWritten();
                    case RESULT -> out.resultWritten();
                    case DEFERRED -> out.deferredWritten();
                    default -> throw new IllegalStateException(o.kind().name());
                }
                writes.ok(o.topic(), pass.jobId());
            } else {
                o.message().removeHeader(KafkaConstants.KAFKA_RECORD_META);
                o.message().setHeader(KafkaConstants.OVERRIDE_TOPIC, o.topic()); // camel-kafka took it off
                left.add(o);
                if (!o.acknowledged()) {
                    refused.add(o.topic());
                }
            }
        }
        exchange.setProperty(JobProperties.OUTGOING, left);
        exchange.setProperty(JobProperties.REFUSED_TOPICS, refused);
        exchange.getIn().setBody(left.stream().map(Outgoing::message).toList());
    }

    /**
     * A write Kafka refused (route configuration kafka-writes, results.yaml), before each retry and once more when the
     * retries are over: what Kafka did acknowledge of it is noted and left out of the retry, and the refusal is
     * classified, counted and logged for the topics it left unacknowledged.
     */
    @Produces
    @Singleton
    @Named("kafkaWritesRefused")
    Processor refused() {
        return exchange -> {
            acknowledged(exchange);
            writes.refused(exchange);
        };
    }

    /** The job's result, keyed by jobId. */
    private Message result(Exchange exchange, PassOutputs out) throws JsonProcessingException {
        DeliveryResult result = out.result();
        Message m = message(exchange, topics.results());
        cloudEvent(m, result.jobId(), result.status().cloudEventType(), result.completedAt(),
                out.resultTraceparent(), result.status().name());
        m.setBody(mapper.writeValueAsBytes(result));
        return m;
    }

    /** One attempt event, keyed by jobId. */
    private Message attempt(Exchange exchange, PassOutputs.Attempt a) throws JsonProcessingException {
        AttemptEvent event = a.event();
        Message m = message(exchange, topics.attempts());
        cloudEvent(m, event.jobId(), ATTEMPT_TYPE, event.at(), a.traceparent(),
                event.attempt() + "/" + event.endpoint().name() + "/" + event.outcome().wireName());
        m.setBody(mapper.writeValueAsBytes(event));
        return m;
    }

    /**
     * The original record, byte for byte, with why it is dead and where it came from. One Kafka refused as too large
     * for the dead-letter topic ({@link DeadLettersTooLarge}) goes without the value: {@code error.code}
     * {@value DeadLettersTooLarge#CODE}, the original's code in {@code original.error.code} and its size in
     * {@code original.size} (README "Record sizes": the one exception to CONTRACT 4).
     */
    private Message deadLetter(Exchange exchange, Pass d) {
        Message m = message(exchange, topics.dlq());
        DeferredRecords.writeOriginal(m, d.source());
        String tooLarge = d.outputs().deadLetterWithoutValue();
        if (tooLarge == null) {
            m.setHeader("error.code", d.error().code());
            m.setHeader("error.message", d.error().message());
        } else {
            m.setBody(new byte[0]);
            m.setHeader("error.code", DeadLettersTooLarge.CODE);
            m.setHeader("error.message", tooLarge);
            m.setHeader(DeadLettersTooLarge.ORIGINAL_CODE, d.error().code());
            m.setHeader(DeadLettersTooLarge.ORIGINAL_SIZE,
                    String.valueOf(d.source().value() == null ? 0 : d.source().value().length));
        }
        m.setHeader("attempts", String.valueOf(d.sessions()));
        if (d.jobId() != null) {
            m.setHeader("jobId", d.jobId());
        }
        return m;
    }

    /** A new record of the write, to {@code topic}: no header but those set here (nothing from the input). */
    private static Message message(Exchange exchange, String topic) {
        Message m = new DefaultMessage(exchange);
        if (topic != null) {
            m.setHeader(KafkaConstants.OVERRIDE_TOPIC, topic);
        }
        return m;
    }

    private void cloudEvent(Message m, String jobId, String type, Instant time, String traceparent, String what) {
        m.setHeader(KafkaConstants.KEY, jobId.getBytes(StandardCharsets.UTF_8));
        m.setHeader("ce_specversion", "1.0");
        m.setHeader("ce_id", UUID.nameUUIDFromBytes((type + "\n" + jobId + "\n" + time + "\n" + what)
                .getBytes(StandardCharsets.UTF_8)).toString());
        m.setHeader("ce_source", source);
        m.setHeader("ce_type", type);
        m.setHeader("ce_subject", jobId);
        m.setHeader("ce_time", time.toString());
        m.setHeader("content-type", "application/json");
        if (traceparent != null) {
            m.setHeader("traceparent", traceparent);
        }
    }
}
