package io.submissionrouter.intake;

import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.idempotency.CompletedJobs;
import io.submissionrouter.rate.JobsTopicShare;
import io.submissionrouter.retry.RetryTopics;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import java.time.Duration;
import java.util.Collection;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.apache.camel.component.kafka.consumer.support.subcription.DefaultSubscribeAdapter;
import org.apache.camel.component.kafka.consumer.support.subcription.SubscribeAdapter;
import org.apache.camel.component.kafka.consumer.support.subcription.TopicInfo;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

/**
 * Camel Kafka's subscribe adapter (the bean {@code subscribeAdapter}): subscribes every consumer as Camel would, and
 * follows the partitions of the consumers of jobs (the intake's, and each relay group's retries'). Partitions given
 * are held until the idempotency tail has read to the end the topic has then (CONTRACT 5.4: this replica must know
 * every job their last owner completed; when the end cannot be read, the poll fails and the consumer reconnects from
 * its committed offsets), each picking up what its last commit says was finished; an intake consumer then counts its
 * share for the rate limits. Partitions that go have their jobs in flight finished and committed, or handed back, and
 * their holds dropped ({@link InFlightJobs#revoked}).
 */
@ApplicationScoped
@Named("subscribeAdapter")
public class JobsRebalances implements SubscribeAdapter {

    /** The longest a consumer waits, in its rebalance, for the idempotency topic's end offsets. */
    static final Duration CATCH_UP = Duration.ofSeconds(60);

    private static final Logger LOG = Logger.getLogger(JobsRebalances.class);
    private final SubscribeAdapter camel = new DefaultSubscribeAdapter();
    private final String jobsTopic;
    private final CompletedJobs completedJobs;
    private final JobsTopicShare share;
    private final InFlightJobs inFlight;
    private final RetryTopics retryTopics;

    public JobsRebalances(SubmissionConfig config, CompletedJobs completedJobs, JobsTopicShare share,
            InFlightJobs inFlight, RetryTopics retryTopics) {
        this.jobsTopic = config.topics().jobs();
        this.completedJobs = completedJobs;
        this.share = share;
        this.inFlight = inFlight;
        this.retryTopics = retryTopics;
    }

    @Override
    public void subscribe(Consumer<?, ?> consumer, ConsumerRebalanceListener camelListener, TopicInfo topicInfo) {
        Optional<String> source = topicInfo.isPattern() ? Optional.empty() : sourceOf(topicInfo.getTopics());
        if (source.isEmpty()) {
            camel.subscribe(consumer, camelListener, topicInfo);
            return;
        }
        boolean intake = source.get().equals(InFlightJobs.INTAKE);
        if (intake) {
            share.subscribed(consumer);
        }
        camel.subscribe(consumer, new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
                inFlight.revoked(consumer, revoked);
                camelListener.onPartitionsRevoked(revoked);
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
                // held rather than waited for here, so a slow read neither holds the rebalance nor makes the
                // consumer leave its group and join again
                BooleanSupplier known = assigned.isEmpty() ? () -> true : completedJobs.readToEnd(CATCH_UP);
                if (!known.getAsBoolean()) {
                    LOG.infof("%s held until the completed jobIds are read to the idempotency topic's end", assigned);
                }
                inFlight.assigned(consumer, source.get(), assigned, known);
                camelListener.onPartitionsAssigned(assigned);
                if (intake) {
                    share.partitionsAssigned(consumer);
                }
            }

            @Override
            public void onPartitionsLost(Collection<TopicPartition> lost) {
                inFlight.lost(consumer, lost);
                camelListener.onPartitionsLost(lost);
            }
        }, topicInfo);
    }

    /** The source of jobs a consumer of {@code topics} reads for: the intake, a relay group's retries, or none. */
    private Optional<String> sourceOf(Collection<String> topics) {
        if (topics.contains(jobsTopic)) {
            return Optional.of(InFlightJobs.INTAKE);
        }
        return topics.stream().flatMap(t -> retryTopics.waitingRelay(t).stream()).findFirst()
                .map(InFlightJobs::retries);
    }
}
