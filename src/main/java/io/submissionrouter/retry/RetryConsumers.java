package io.submissionrouter.retry;

import io.quarkus.runtime.ShutdownEvent;
import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.idempotency.CompletedJobs;
import io.submissionrouter.rate.GroupRates;
import io.submissionrouter.routing.RelayGroups;
import io.submissionrouter.routing.UnsettledPasses;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import org.apache.camel.CamelContext;
import org.jboss.logging.Logger;

/** One {@link RetryConsumer} per relay group, started with the intake and stopped before Camel on shutdown. */
@ApplicationScoped
public class RetryConsumers {

    private static final Logger LOG = Logger.getLogger(RetryConsumers.class);

    private final RetryConsumer.Context context;
    private final List<RetryConsumer> consumers = new ArrayList<>();
    /** The relay groups whose consumer is started. */
    private final Set<String> started = new HashSet<>();

    public RetryConsumers(CamelContext camel, RetryTopics topics, DeferredRecords records, RelayGroups groups,
            GroupRates rates, SubmissionConfig config, CompletedJobs completedJobs, UnsettledPasses unsettled) {
        this.context = new RetryConsumer.Context(camel, topics, records, groups, rates, config, completedJobs,
                unsettled);
    }

    /**
     * Starts a consumer for each relay group that has none yet; {@code client} holds the brokers and security settings.
     * A start that failed part-way (a consumer that could not be created) is completed by the next call.
     */
    public synchronized void start(Properties client) {
        for (String relay : context.groups().names()) {
            if (started.contains(relay)) {
                continue;
            }
            RetryConsumer consumer = new RetryConsumer(relay, context, client);
            consumers.add(consumer);
            started.add(relay);
            consumer.start();
        }
    }

    /** A pass under way may take its whole time: it finishes, writes what it owes and commits before Camel stops. */
    void onShutdown(@Observes ShutdownEvent event) {
        SubmissionConfig config = context.config();
        stop(config.consumer().jobTimeout().plus(config.kafka().writeRetryFor()));
    }

    /** Stops every consumer after the job each has in hand, waiting at most {@code bound} in all. */
    public synchronized void stop(Duration bound) {
        long deadline = System.nanoTime() + bound.toNanos();
        for (RetryConsumer c : consumers) {
            try {
                c.stop(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                LOG.warn("interrupted while stopping the retry consumers");
                return;
            }
        }
    }
}
