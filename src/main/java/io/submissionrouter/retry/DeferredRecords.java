package io.submissionrouter.retry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidDefinitionException;
import io.submissionrouter.job.RouterFault;
import io.submissionrouter.pass.DeferredState;
import io.submissionrouter.pass.Pass;
import io.submissionrouter.pass.SourceRecord;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.camel.Message;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.jboss.logging.Logger;

/**
 * The records of the retry tiers and waiting topics: the original job record, value and key byte for byte,
 * with where it came from ({@code source.topic}, {@code source.partition}, {@code source.offset},
 * {@code source.timestamp}: always the record on the jobs topic, the same headers the dead-letter topic
 * carries), its {@code traceparent}, and the job's {@link DeferredState} as JSON in {@value #STATE}.
 * Writes them for the routes and reads them back for the retries routes ({@code DueRetries}).
 */
@ApplicationScoped
@Named("deferredRecords")
public class DeferredRecords {

    public static final String SOURCE_TOPIC = "source.topic";
    public static final String SOURCE_PARTITION = "source.partition";
    public static final String SOURCE_OFFSET = "source.offset";
    public static final String SOURCE_TIMESTAMP = "source.timestamp";
    public static final String TRACEPARENT = "traceparent";
    public static final String STATE = "router.state";
    /** The job's relay group, so each group's retries route takes only the jobs of its own group. Addition. */
    public static final String RELAY = "router.relay";

    private static final Logger LOG = Logger.getLogger(DeferredRecords.class);

    private final ObjectMapper mapper;
    public DeferredRecords(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /**
     * Shapes the record of a deferred job on {@code m}, a message the publish route writes to the topic
     * {@code RetryTiers.place} chose: the original record with where it came from, its relay group, its trace and its
     * state.
     */
    public void record(Message m, Pass d) throws JsonProcessingException {
        SourceRecord s = d.source();
        writeOriginal(m, s);
        m.setHeader(SOURCE_TIMESTAMP, String.valueOf(s.timestamp().toEpochMilli()));
        m.setHeader(RELAY, d.relay());
        if (s.traceparent() != null) {
            m.setHeader(TRACEPARENT, s.traceparent());
        }
        m.setHeader(STATE, mapper.writeValueAsString(d.deferredState()));
    }

    /**
     * The original job record, key and value byte for byte, with {@code source.topic}, {@code source.partition}
     * and {@code source.offset}: what tier, waiting and dead-letter records all carry (CONTRACT 4).
     */
    public static void writeOriginal(Message m, SourceRecord s) {
        m.setBody(s.value() == null ? new byte[0] : s.value());
        if (s.key() != null) {
            m.setHeader(KafkaConstants.KEY, s.key());
        }
        m.setHeader(SOURCE_TOPIC, s.topic());
        m.setHeader(SOURCE_PARTITION, String.valueOf(s.partition()));
        m.setHeader(SOURCE_OFFSET, String.valueOf(s.offset()));
    }

    /**
     * The job a tier or waiting record carries. A record without {@code source.*} headers (written by hand,
     * say) is taken as a job of its own; an unreadable state makes the job start afresh.
     */
    public DeferredJob read(ConsumerRecord<byte[], byte[]> r) {
        String topic = header(r, SOURCE_TOPIC);
        SourceRecord source;
        try {
            source = topic == null ? null : new SourceRecord(topic, Integer.parseInt(header(r, SOURCE_PARTITION)),
                    Long.parseLong(header(r, SOURCE_OFFSET)),
                    Instant.ofEpochMilli(Long.parseLong(header(r, SOURCE_TIMESTAMP))), r.key(), r.value(),
                    header(r, TRACEPARENT));
        } catch (RuntimeException e) {
            LOG.warnf("record %s-%d@%d has unreadable source.* headers (%s); taking it as a job of its own",
                    r.topic(), r.partition(), r.offset(), e.getMessage());
            source = null;
        }
        if (source == null) {
            source = new SourceRecord(r.topic(), r.partition(), r.offset(), Instant.ofEpochMilli(r.timestamp()),
                    r.key(), r.value(), header(r, TRACEPARENT));
        }
        return new DeferredJob(source, state(r, Instant.ofEpochMilli(r.timestamp())));
    }

    /**
     * The relay group of the job a tier or waiting record carries: its {@value #RELAY} header, or (a record written
     * by hand, or by an earlier version) the job's {@code relay}; a group not among {@code groups} is {@code default}
     * (whose consumer makes such a job INVALID).
     */
    public String relay(ConsumerRecord<byte[], byte[]> r, java.util.Set<String> groups) {
        String relay = header(r, RELAY);
        if (relay == null) {
            try {
                com.fasterxml.jackson.databind.JsonNode value = r.value() == null ? null : mapper.readTree(r.value());
                relay = value == null ? null : value.path("relay").asText(null);
            } catch (IOException | RuntimeException e) {
                relay = null; // unreadable: the default group's consumer makes it INVALID
            }
        }
        return relay != null && groups.contains(relay) ? relay : io.submissionrouter.config.RelaySettings.DEFAULT_RELAY;
    }

    private DeferredState state(ConsumerRecord<byte[], byte[]> r, Instant receivedAtStandIn) {
        String json = header(r, STATE);
        if (json == null) {
            return null;
        }
        try {
            DeferredState state = mapper.readValue(json, DeferredState.class);
            if (state == null) {
                return null; // the JSON null: no state, as without the header
            }
            DeferredState whole = state.whole(receivedAtStandIn);
            if (whole != state) {
                LOG.warnf("record %s-%d@%d has a %s header with fields missing or out of range (receivedAt, null "
                        + "recipients, a last session without outcome); the job goes on from what it holds",
                        r.topic(), r.partition(), r.offset(), STATE);
            }
            return whole;
        } catch (InvalidDefinitionException e) {
            throw new RouterFault(DeferredState.class, e); // starting afresh would resend to accepted ones
        } catch (IOException e) {
            LOG.warnf("record %s-%d@%d has an unreadable %s header (%s); the job starts afresh", r.topic(),
                    r.partition(), r.offset(), STATE, e.getMessage());
            return null;
        }
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
