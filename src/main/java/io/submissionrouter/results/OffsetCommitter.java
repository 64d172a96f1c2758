package io.submissionrouter.results;

import io.submissionrouter.routing.JobIntake;
import io.submissionrouter.routing.RecordRef;
import io.submissionrouter.routing.UnsettledPasses;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import org.apache.camel.Exchange;
import org.apache.camel.component.kafka.consumer.KafkaManualCommit;

/**
 * Commits a job record's offset; the routes call it only after everything its pass owed Kafka is acknowledged.
 * The pass is then over ({@link UnsettledPasses}).
 */
@ApplicationScoped
@Named("offsets")
public class OffsetCommitter {

    private final UnsettledPasses unsettled;

    public OffsetCommitter(UnsettledPasses unsettled) {
        this.unsettled = unsettled;
    }

    public void commit(Exchange exchange) {
        KafkaManualCommit commit = exchange.getProperty(JobIntake.COMMIT, KafkaManualCommit.class);
        if (commit != null) {
            commit.commit();
        }
        unsettled.settle(exchange.getProperty(JobIntake.RECORD, RecordRef.class));
    }
}
