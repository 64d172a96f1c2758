package io.submissionrouter.rate;

import io.quarkus.runtime.ShutdownEvent;
import io.submissionrouter.config.SubmissionConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Named;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

/**
 * This replica's part of the jobs topic's partitions, so each relay group's rate limit is shared by the replicas
 * (CONTRACT 5.3 step 5). The intake consumers are handed over by {@code JobsRebalances}
 * when they subscribe; the count is each consumer's own {@code assigned-partitions} metric (thread-safe to read,
 * and true whichever rebalance protocol the group uses), summed after every assignment and every second (the route
 * jobs-topic-share, routes/periodic.yaml; nothing is counted before the first assignment); a consumer that Camel
 * re-creates on its thread replaces the one before it.
 */
@ApplicationScoped
@Named("jobsTopicShare")
public class JobsTopicShare {

    private static final String ASSIGNED = "assigned-partitions";

    private final String jobsTopic;
    private final GroupRates rates;
    /** The intake consumers, by the thread that polls each. */
    private final Map<Thread, Consumer<?, ?>> consumers = new ConcurrentHashMap<>();
    private volatile int partitions;
    private volatile boolean stopped;

    public JobsTopicShare(SubmissionConfig config, GroupRates rates) {
        this.jobsTopic = config.topics().jobs();
        this.rates = rates;
    }

    /** An intake consumer subscribes, on its own thread. */
    public void subscribed(Consumer<?, ?> consumer) {
        consumers.put(Thread.currentThread(), consumer);
    }

    /** An intake consumer was given partitions (on its own thread, so it may ask for the topic's partitions). */
    public void partitionsAssigned(Consumer<?, ?> consumer) {
        partitions = consumer.partitionsFor(jobsTopic).size();
        refresh();
    }
    /** Sums the partitions the intake consumers hold now and hands the share to the rates. */
    synchronized void refresh() {
        if (partitions <= 0) {
            return;
        }
        int assigned = 0;
        for (Consumer<?, ?> c : consumers.values()) {
            assigned += assigned(c);
        }
        rates.share(assigned, partitions);
    }

    private static int assigned(Consumer<?, ?> consumer) {
        for (Map.Entry<MetricName, ? extends Metric> e : consumer.metrics().entrySet()) {
            if (e.getKey().name().equals(ASSIGNED) && e.getValue().metricValue() instanceof Number n) {
                return n.intValue();
            }
        }
        return 0; // closed, or not in the group yet
    }

    /**
     * The refresh of every second (the route jobs-topic-share, routes/periodic.yaml): nothing before the first
     * assignment, nor once shutting down.
     */
    public void refreshQuietly() {
        if (stopped) {
            return;
        }
        try {
            refresh();
        } catch (RuntimeException e) {
            // a consumer closing while its metrics are read; the next round counts again
        }
    }

    void stop(@Observes ShutdownEvent event) {
        stopped = true;
    }
}
