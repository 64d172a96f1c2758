package io.submissionrouter.kafka;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import java.util.Collections;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import org.apache.camel.CamelContext;
import org.apache.camel.component.kafka.consumer.CommitManager;
import org.apache.camel.component.kafka.consumer.KafkaManualCommit;
import org.apache.camel.component.kafka.consumer.KafkaManualCommitFactory;
import org.apache.camel.component.kafka.consumer.errorhandler.KafkaConsumerListener;
import org.apache.camel.component.kafka.consumer.support.ProcessingResult;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

/**
 * How the intake consumers commit and pace themselves with jobs in flight ({@link InFlightJobs}), hooked into Camel's
 * Kafka consumer twice:
 * <ul>
 * <li>as the route's consumer listener (the {@code pausable} step of routes/intake.yaml): after every poll, on the
 * consumer's own thread, each consumer commits its partitions up to their first unfinished job, and pauses them while
 * the pod's jobs in flight are at their bound (resuming them when there is room), polling on either way;</li>
 * <li>as the endpoint's manual commit factory ({@code kafkaManualCommitFactory}): one that is not Camel's own, so
 * Camel never commits an offset by itself after a record's exchange, which ends as soon as its job is handed over.</li>
 * </ul>
 */
@ApplicationScoped
@Named("inFlightCommits")
public class InFlightCommits extends KafkaConsumerListener implements KafkaManualCommitFactory {

    private static final Logger LOG = Logger.getLogger(InFlightCommits.class);

    private final InFlightJobs jobs;
    private final CamelContext camel;
    /** The partitions each consumer paused here, and only those, are resumed here: Camel pauses for its own reasons. */
    private final Map<Consumer<?, ?>, Set<TopicPartition>> pausedHere = Collections.synchronizedMap(new WeakHashMap<>());

    public InFlightCommits(InFlightJobs jobs, CamelContext camel) {
        this.jobs = jobs;
        this.camel = camel;
    }

    /**
     * After every poll, on the polling consumer's thread: commit what is finished, pause what must wait, resume what
     * this paused and may go on. Nothing is resumed while Camel is stopping: its graceful shutdown pauses the consumers
     * and waits only for the jobs already running.
     */
    @Override
    public boolean afterConsume(Object polled) {
        Consumer<?, ?> consumer = (Consumer<?, ?>) polled;
        Set<TopicPartition> assigned = consumer.assignment();
        commit(consumer, assigned);
        // polls on either way (a paused partition gives no records), so the consumer is never evicted
        Set<TopicPartition> mine = pausedHere.computeIfAbsent(consumer, c -> new HashSet<>());
        mine.retainAll(assigned);
        Set<TopicPartition> pause = new HashSet<>(jobs.mustWait(assigned));
        Set<TopicPartition> go = new HashSet<>(mine);
        go.removeAll(pause);
        pause.removeAll(consumer.paused());
        if (!pause.isEmpty()) {
            consumer.pause(pause);
            mine.addAll(pause);
        }
        if (!go.isEmpty() && !camel.isStopping()) {
            consumer.resume(go);
            mine.removeAll(go);
        }
        return true;
    }

    @Override
    public boolean afterProcess(ProcessingResult result) {
        return true; // a record whose hand-over failed is read again (breakOnFirstError), never skipped
    }

    private void commit(Consumer<?, ?> consumer, Set<TopicPartition> assigned) {
        Map<TopicPartition, OffsetAndMetadata> offsets = jobs.committable(assigned, false);
        if (offsets.isEmpty()) {
            return;
        }
        consumer.commitAsync(offsets, (committed, e) -> {
            if (e == null) {
                jobs.committed(committed);
            } else {
                jobs.commitFailed(offsets);
                LOG.debugf("committing %s failed (%s); the next poll commits again", offsets, e.getMessage());
            }
        });
    }

    /** Camel's per-record commit object: unused, the consumers commit after each poll instead. */
    @Override
    public KafkaManualCommit newInstance(CamelExchangePayload exchange, KafkaRecordPayload record,
            CommitManager commitManager) {
        return () -> { };
    }
}
