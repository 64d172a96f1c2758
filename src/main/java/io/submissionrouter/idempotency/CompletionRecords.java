package io.submissionrouter.idempotency;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.submissionrouter.results.DeliveryResults;
import io.submissionrouter.routing.Delivery;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import java.nio.charset.StandardCharsets;
import org.apache.camel.Exchange;
import org.apache.camel.component.kafka.KafkaConstants;

/** The completion record of a job on the idempotency topic: key jobId, value {@link Completion}. */
@ApplicationScoped
@Named("completions")
public class CompletionRecords {

    private final ObjectMapper mapper;
    private final CompletedJobs completedJobs;

    public CompletionRecords(ObjectMapper mapper, CompletedJobs completedJobs) {
        this.mapper = mapper;
        this.completedJobs = completedJobs;
    }

    /** Shapes the record (the route has cleared every header). */
    public void record(Exchange exchange) throws JsonProcessingException {
        Delivery d = exchange.getProperty(Delivery.PROPERTY, Delivery.class);
        Completion c = exchange.getProperty(DeliveryResults.COMPLETION, Completion.class);
        exchange.getIn().setHeader(KafkaConstants.KEY, d.jobId().getBytes(StandardCharsets.UTF_8));
        exchange.getIn().setHeader(CompletedJobs.ORIGIN_HEADER, completedJobs.origin());
        exchange.getIn().setBody(mapper.writeValueAsBytes(c));
    }

    /** Once Kafka acknowledged the record, this replica knows it at once (the tail will read it back too). */
    public void remember(Exchange exchange) {
        Delivery d = exchange.getProperty(Delivery.PROPERTY, Delivery.class);
        completedJobs.remember(d.jobId(), exchange.getProperty(DeliveryResults.COMPLETION, Completion.class));
    }
}
