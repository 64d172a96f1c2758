package io.submissionrouter.idempotency;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.submissionrouter.job.JobProperties;
import io.submissionrouter.kafka.KafkaWrites;
import io.submissionrouter.pass.Completion;
import io.submissionrouter.pass.Pass;
import io.submissionrouter.pass.RecordRef;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import java.nio.charset.StandardCharsets;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.apache.camel.component.kafka.KafkaConstants;

/** The completion record of a job on the idempotency topic: key jobId, value {@link Completion}. */
@ApplicationScoped
@Named("completions")
public class CompletionRecords {

    private final ObjectMapper mapper;
    private final CompletedJobs completedJobs;
    private final KafkaWrites writes;

    public CompletionRecords(ObjectMapper mapper, CompletedJobs completedJobs, KafkaWrites writes) {
        this.mapper = mapper;
        this.completedJobs = completedJobs;
        this.writes = writes;
    }

    /**
     * Shapes the record (the route has cleared every header), naming the record the pass read (the jobs topic's or a
     * tier's): only that record, read again, owes what the pass did not get to write. This replica remembers the
     * completion first: from here on it never sends the job again, whether or not Kafka takes the record.
     */
    public void record(Exchange exchange) throws JsonProcessingException {
        Pass d = exchange.getProperty(JobProperties.PASS, Pass.class);
        Completion c = d.outputs().completion().writtenFor(exchange.getProperty(JobProperties.RECORD, RecordRef.class));
        completedJobs.remember(d.jobId(), c);
        exchange.getIn().setHeader(KafkaConstants.KEY, d.jobId().getBytes(StandardCharsets.UTF_8));
        exchange.getIn().setHeader(CompletedJobs.ORIGIN_HEADER, completedJobs.origin());
        exchange.getIn().setBody(mapper.writeValueAsBytes(c));
    }

    /** Kafka acknowledged the record: every replica will know the job is completed. */
    public void written(@ExchangeProperty(JobProperties.PASS) Pass d) {
        d.outputs().completionWritten();
        writes.ok(completedJobs.topic(), d.jobId());
    }
}
