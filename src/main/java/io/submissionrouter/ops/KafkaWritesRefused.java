package io.submissionrouter.ops;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/** The route configuration's onRedelivery hook (it takes a Processor): each refused write before it is retried. */
@ApplicationScoped
@Named("kafkaWritesRefused")
public class KafkaWritesRefused implements Processor {

    private final KafkaWrites writes;

    public KafkaWritesRefused(KafkaWrites writes) {
        this.writes = writes;
    }

    @Override
    public void process(Exchange exchange) {
        writes.refused(exchange);
    }
}
