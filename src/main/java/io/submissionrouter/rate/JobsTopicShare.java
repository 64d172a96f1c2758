package io.submissionrouter.rate;

import io.submissionrouter.config.SubmissionConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.camel.component.kafka.consumer.support.subcription.DefaultSubscribeAdapter;
import org.apache.camel.component.kafka.consumer.support.subcription.SubscribeAdapter;
import org.apache.camel.component.kafka.consumer.support.subcription.TopicInfo;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.common.TopicPartition;

/**
 * Camel Kafka's subscribe adapter (found in the registry by its name, {@code subscribeAdapter}): subscribes as
 * Camel would, and for the intake consumers also follows which partitions of the jobs topic this replica holds,
 * across all of them, so each relay group's rate limit is shared by the replicas (CONTRACT 5.3 step 5).
 */
@ApplicationScoped
@Named("subscribeAdapter")
public class JobsTopicShare implements SubscribeAdapter {

    private final SubscribeAdapter camel = new DefaultSubscribeAdapter();
    private final String jobsTopic;
    private final GroupRates rates;
    private final Map<Consumer<?, ?>, Set<TopicPartition>> held = new ConcurrentHashMap<>();

    public JobsTopicShare(SubmissionConfig config, GroupRates rates) {
        this.jobsTopic = config.topics().jobs();
        this.rates = rates;
    }

    @Override
    public void subscribe(Consumer<?, ?> consumer, ConsumerRebalanceListener camelListener, TopicInfo topicInfo) {
        boolean intake = !topicInfo.isPattern() && topicInfo.getTopics().contains(jobsTopic);
        camel.subscribe(consumer, !intake ? camelListener : new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                camelListener.onPartitionsRevoked(partitions);
                changed(consumer, partitions, false);
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                camelListener.onPartitionsAssigned(partitions);
                changed(consumer, partitions, true);
            }

            @Override
            public void onPartitionsLost(Collection<TopicPartition> partitions) {
                camelListener.onPartitionsLost(partitions);
                changed(consumer, partitions, false);
            }
        }, topicInfo);
    }

    /**
     * Called on the consumer's own thread, so it may ask its consumer what it holds: its whole assignment, less
     * what is being taken away, whichever rebalance protocol (eager or cooperative) the group uses.
     */
    private void changed(Consumer<?, ?> consumer, Collection<TopicPartition> partitions, boolean added) {
        Set<TopicPartition> mine = new HashSet<>(consumer.assignment());
        if (added) {
            mine.addAll(partitions);
        } else {
            mine.removeAll(partitions);
        }
        held.put(consumer, mine);
        Set<TopicPartition> all = new HashSet<>();
        held.values().forEach(all::addAll);
        int assigned = (int) all.stream().filter(tp -> tp.topic().equals(jobsTopic)).count();
        rates.share(assigned, consumer.partitionsFor(jobsTopic).size());
    }
}
