package io.submissionrouter.output;

import io.submissionrouter.kafka.KafkaWrites;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/**
 * A write Kafka refused (route configuration kafka-writes, results.yaml), before each retry and once more when the
 * retries are over: what Kafka did acknowledge of it is noted and left out of the retry, and the refusal is
 * classified, counted and logged for the topics it left unacknowledged.
 */
@ApplicationScoped
@Named("kafkaWritesRefused")
public class KafkaWritesRefused implements Processor {

    private final KafkaWrites writes;
    private final KafkaRecords records;

    public KafkaWritesRefused(KafkaWrites writes, KafkaRecords records) {
        this.writes = writes;
        this.records = records;
    }

    @Override
    public void process(Exchange exchange) {
        records.acknowledged(exchange);
        writes.refused(exchange);
    }
}
