package io.submissionrouter.kafka;

import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.idempotency.CompletedJobs;
import io.submissionrouter.rate.JobsTopicShare;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import java.time.Duration;
import java.util.Collection;
import org.apache.camel.component.kafka.consumer.support.subcription.DefaultSubscribeAdapter;
import org.apache.camel.component.kafka.consumer.support.subcription.SubscribeAdapter;
import org.apache.camel.component.kafka.consumer.support.subcription.TopicInfo;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.common.TopicPartition;

/**
 * Camel Kafka's subscribe adapter (found in the registry by its name, {@code subscribeAdapter}): subscribes the
 * intake consumers as Camel would, and follows their partitions. When a consumer is given partitions of the jobs
 * topic, this replica first reads the idempotency topic to its end (CONTRACT 5.4: it must know every job the
 * partitions' last owner completed before it works on them), and what their last commit says was finished, then
 * counts its share for the rate limits. When partitions go, the jobs of theirs this pod has in flight are finished
 * and committed, or handed back ({@link InFlightJobs#revoked}).
 */
@ApplicationScoped
@Named("subscribeAdapter")
public class IntakeRebalances implements SubscribeAdapter {

    /** The longest a consumer waits, in its rebalance, for the idempotency topic to be read to its end. */
    static final Duration CATCH_UP = Duration.ofSeconds(60);

    private final SubscribeAdapter camel = new DefaultSubscribeAdapter();
    private final String jobsTopic;
    private final CompletedJobs completedJobs;
    private final JobsTopicShare share;
    private final InFlightJobs inFlight;

    public IntakeRebalances(SubmissionConfig config, CompletedJobs completedJobs, JobsTopicShare share,
            InFlightJobs inFlight) {
        this.jobsTopic = config.topics().jobs();
        this.completedJobs = completedJobs;
        this.share = share;
        this.inFlight = inFlight;
    }

    @Override
    public void subscribe(Consumer<?, ?> consumer, ConsumerRebalanceListener camelListener, TopicInfo topicInfo) {
        boolean intake = !topicInfo.isPattern() && topicInfo.getTopics().contains(jobsTopic);
        if (!intake) {
            camel.subscribe(consumer, camelListener, topicInfo);
            return;
        }
        share.subscribed(consumer);
        camel.subscribe(consumer, new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
                // their jobs running are finished and committed, those not started handed back
                inFlight.revoked(consumer, revoked);
                camelListener.onPartitionsRevoked(revoked);
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
                if (!assigned.isEmpty()) {
                    completedJobs.awaitCaughtUp(CATCH_UP);
                }
                // each picks up where its last commit left, skipping the finished jobs its metadata names
                inFlight.assigned(consumer, assigned);
                camelListener.onPartitionsAssigned(assigned);
                share.partitionsAssigned(consumer);
            }

            @Override
            public void onPartitionsLost(Collection<TopicPartition> lost) {
                inFlight.lost(consumer, lost);
                camelListener.onPartitionsLost(lost);
            }
        }, topicInfo);
    }
}
