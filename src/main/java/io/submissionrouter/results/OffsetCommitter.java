package io.submissionrouter.results;

import io.submissionrouter.routing.JobIntake;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import org.apache.camel.Exchange;
import org.apache.camel.component.kafka.consumer.KafkaManualCommit;

/** Commits a job record's offset; the routes call it only after its result and dlq records are acknowledged. */
@ApplicationScoped
@Named("offsets")
public class OffsetCommitter {

    public void commit(Exchange exchange) {
        KafkaManualCommit commit = exchange.getProperty(JobIntake.COMMIT, KafkaManualCommit.class);
        if (commit != null) {
            commit.commit();
        }
    }
}
