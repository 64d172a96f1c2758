package io.submissionrouter.results;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.ops.JobTraces;
import io.submissionrouter.retry.DeferredRecords;
import io.submissionrouter.routing.Delivery;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.kafka.KafkaConstants;

/**
 * Shapes the records the router writes: body and key, CloudEvents headers in Kafka binary mode for results
 * and attempt events (CONTRACT 3), and the dead-letter headers around the original bytes (CONTRACT 4).
 * The routes clear every header before calling it, so nothing from the input leaks into an output record.
 */
@ApplicationScoped
@Named("kafkaRecords")
public class KafkaRecords {

    static final String ATTEMPT_TYPE = "email.submission.attempt";
    /** Exchange property: the traceparent each drained attempt event carries (its session's span). */
    private static final String ATTEMPT_TRACEPARENTS = "attemptTraceparents";

    private final ObjectMapper mapper;
    private final String source;
    private final boolean attemptsEnabled;
    private final JobTraces traces;

    public KafkaRecords(ObjectMapper mapper, SubmissionConfig config, JobTraces traces) {
        this.mapper = mapper;
        this.traces = traces;
        this.source = config.cloudEvents().source();
        this.attemptsEnabled = config.attempts().enabled();
    }

    /** The job's result, keyed by jobId. */
    public void result(Exchange exchange) throws JsonProcessingException {
        DeliveryResult result = exchange.getProperty(DeliveryResults.RESULT, DeliveryResult.class);
        cloudEvent(exchange.getIn(), result.jobId(), result.status().cloudEventType(), result.completedAt(),
                traces.traceparent(exchange));
        exchange.getIn().setBody(mapper.writeValueAsBytes(result));
    }

    /**
     * The attempt events gathered since the last call; empty when {@code submission.attempts.enabled=false}.
     * Each session becomes a span either way, and each event will carry its span's traceparent.
     */
    public List<AttemptEvent> drainAttempts(Exchange exchange) {
        List<AttemptEvent> events = exchange.getProperty(Delivery.PROPERTY, Delivery.class).drainAttempts();
        Map<AttemptEvent, String> traceparents = new IdentityHashMap<>();
        events.forEach(e -> traceparents.put(e, traces.attempt(exchange, e)));
        exchange.setProperty(ATTEMPT_TRACEPARENTS, traceparents);
        return attemptsEnabled ? events : List.of();
    }

    /** One attempt event (the body, inside the split over a job's new events), keyed by jobId. */
    public void attempt(Exchange exchange) throws JsonProcessingException {
        AttemptEvent event = exchange.getIn().getBody(AttemptEvent.class);
        @SuppressWarnings("unchecked")
        Map<AttemptEvent, String> traceparents = exchange.getProperty(ATTEMPT_TRACEPARENTS, Map.class);
        cloudEvent(exchange.getIn(), event.jobId(), ATTEMPT_TYPE, event.at(), traceparents.get(event));
        exchange.getIn().setBody(mapper.writeValueAsBytes(event));
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

    private void cloudEvent(Message m, String jobId, String type, Instant time, String traceparent) {
        m.setHeader(KafkaConstants.KEY, jobId.getBytes(StandardCharsets.UTF_8));
        m.setHeader("ce_specversion", "1.0");
        m.setHeader("ce_id", UUID.randomUUID().toString());
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
