package io.submissionrouter.admin;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import java.util.List;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.support.DefaultMessage;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;

/**
 * The dlq replay's writes (the replays, and their marks), through the router's one Kafka producer like every other
 * write: the route template kafka-write's instance {@code replay-write} (results.yaml), which fails at once when
 * Kafka refuses a record ({@code kafka-write-once}). A batch of records is one write, waited for once; each record
 * Kafka acknowledged is told apart by its metadata.
 */
@ApplicationScoped
@Named("replayWrites")
public class ReplayWrites {

    /** What became of a batch: which records Kafka acknowledged, and why the others were not (null if all were). */
    record Written(boolean[] acknowledged, Exception failure) {
    }

    private final ProducerTemplate camel;

    public ReplayWrites(ProducerTemplate camel) {
        this.camel = camel;
    }

    /** Writes the records as one batch, each to its own topic, and waits for Kafka's answer. */
    Written write(List<ProducerRecord<byte[], byte[]>> records) {
        Exchange done = camel.send("direct:replay-write", e -> e.getIn().setBody(records));
        List<?> messages = done.getMessage().getBody(List.class);
        boolean[] acknowledged = new boolean[records.size()];
        for (int i = 0; messages != null && i < messages.size() && i < acknowledged.length; i++) {
            List<?> meta = ((Message) messages.get(i)).getHeader(KafkaConstants.KAFKA_RECORD_META, List.class);
            acknowledged[i] = meta != null && !meta.isEmpty() && meta.get(0) instanceof RecordMetadata m
                    && m.hasOffset();
        }
        return new Written(acknowledged, done.getException());
    }

    /** The shaper of {@code replay-write}: one message per record of the body, with its key, headers and topic. */
    public void records(Exchange exchange) {
        @SuppressWarnings("unchecked")
        List<ProducerRecord<byte[], byte[]>> records = exchange.getIn().getBody(List.class);
        exchange.getIn().setBody(records.stream().map(r -> {
            Message m = new DefaultMessage(exchange);
            m.setHeader(KafkaConstants.OVERRIDE_TOPIC, r.topic());
            if (r.key() != null) {
                m.setHeader(KafkaConstants.KEY, r.key());
            }
            for (Header h : r.headers()) {
                m.setHeader(h.key(), h.value());
            }
            m.setBody(r.value());
            return m;
        }).toList());
    }
}
