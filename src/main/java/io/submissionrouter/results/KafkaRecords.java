package io.submissionrouter.results;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.ops.KafkaWrites;
import io.submissionrouter.retry.DeferredRecords;
import io.submissionrouter.routing.Delivery;
import io.submissionrouter.routing.PassOutputs;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.kafka.KafkaConstants;

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

    /** Exchange properties the publish route branches on: what the pass still owes. */
    public static final String OWES_COMPLETION = "owesCompletion";
    public static final String ATTEMPTS = "attempts";
    public static final String OWES_DEAD_LETTER = "owesDeadLetter";
    public static final String OWES_RESULT = "owesResult";
    public static final String OWES_DEFERRED = "owesDeferred";

    static final String ATTEMPT_TYPE = "email.submission.attempt";

    private final ObjectMapper mapper;
    private final String source;
    private final boolean attemptsEnabled;
    private final KafkaWrites writes;
    private final SubmissionConfig.Topics topics;

    public KafkaRecords(ObjectMapper mapper, SubmissionConfig config, KafkaWrites writes) {
        this.mapper = mapper;
        this.writes = writes;
        this.topics = config.topics();
        this.source = config.cloudEvents().source();
        this.attemptsEnabled = config.attempts().enabled();
    }

    /** Sets the exchange properties naming what the pass still owes Kafka, in the order it is written. */
    public void owed(Exchange exchange) {
        PassOutputs out = outputs(exchange);
        List<PassOutputs.Attempt> attempts = out.attempts();
        if (!attemptsEnabled) {
            attempts.forEach(a -> out.attemptWritten()); // submission.attempts.enabled=false: none is written
            attempts = List.of();
        }
        exchange.setProperty(OWES_COMPLETION, out.completion() != null);
        exchange.setProperty(ATTEMPTS, attempts);
        exchange.setProperty(OWES_DEAD_LETTER, out.deadLetter());
        exchange.setProperty(OWES_RESULT, out.result() != null);
        exchange.setProperty(OWES_DEFERRED, out.deferTo() != null);
    }

    /** The job's result, keyed by jobId. */
    public void result(Exchange exchange) throws JsonProcessingException {
        PassOutputs out = outputs(exchange);
        DeliveryResult result = out.result();
        cloudEvent(exchange.getIn(), result.jobId(), result.status().cloudEventType(), result.completedAt(),
                out.resultTraceparent(), result.status().name());
        exchange.getIn().setBody(mapper.writeValueAsBytes(result));
    }

    public void resultWritten(Exchange exchange) {
        outputs(exchange).resultWritten();
        writes.ok(topics.results());
    }

    /** One attempt event (the body, inside the split over the events the pass owes), keyed by jobId. */
    public void attempt(Exchange exchange) throws JsonProcessingException {
        PassOutputs.Attempt a = exchange.getIn().getBody(PassOutputs.Attempt.class);
        AttemptEvent event = a.event();
        cloudEvent(exchange.getIn(), event.jobId(), ATTEMPT_TYPE, event.at(), a.traceparent(),
                event.attempt() + "/" + event.endpoint().name() + "/" + event.outcome().wireName());
        exchange.getIn().setBody(mapper.writeValueAsBytes(event));
    }

    public void attemptWritten(Exchange exchange) {
        outputs(exchange).attemptWritten();
        writes.ok(topics.attempts());
    }

    /** The original record, byte for byte, with why it is dead and where it came from. */
    public void deadLetter(Exchange exchange) {
        Delivery d = exchange.getProperty(Delivery.PROPERTY, Delivery.class);
        Message m = exchange.getIn();
        DeferredRecords.writeOriginal(m, d.source());
        m.setHeader("error.code", d.error().code());
        m.setHeader("error.message", d.error().message());
        m.setHeader("attempts", String.valueOf(d.sessions()));
        if (d.jobId() != null) {
            m.setHeader("jobId", d.jobId());
        }
    }

    public void deadLetterWritten(Exchange exchange) {
        outputs(exchange).deadLetterWritten();
        writes.ok(topics.dlq());
    }

    private static PassOutputs outputs(Exchange exchange) {
        return exchange.getProperty(Delivery.PROPERTY, Delivery.class).outputs();
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
