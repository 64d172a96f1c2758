package io.submissionrouter.intake;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import java.util.Collections;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.function.Predicate;
import org.apache.camel.CamelContext;
import org.apache.camel.Message;
import org.apache.camel.component.kafka.KafkaConstants;
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
 * How the consumers of jobs (the intake's, and each relay group's retries') commit and pace themselves with jobs in
 * flight ({@link InFlightJobs}), hooked into Camel's Kafka consumer twice:
 * <ul>
 * <li>as the routes' consumer listener (the {@code pausable} step of routes/intake.yaml and routes/retries.yaml): after
 * every poll, on the consumer's own thread, each consumer commits its partitions up to their first unfinished job;
 * pauses them while its source's jobs in flight are at their budget (resuming them when there is room); and pauses
 * each partition held at a record that must not run yet (a retry not due, a waiting topic whose group admits nothing),
 * putting its position back on that record, until the hold is over; polling on either way;</li>
 * <li>as the endpoint's manual commit factory ({@code kafkaManualCommitFactory}): one that is not Camel's own, so
 * Camel never commits an offset by itself after a record's exchange, which ends as soon as its job is handed over;
 * its per-record object only tells the dispatcher which consumer polled the record ({@link #polledBy});</li>
 * <li>as the {@code pausable} step's condition ({@code untilCheck}): the pod has room for more jobs in flight.</li>
 * </ul>
 */
@ApplicationScoped
@Named("inFlightCommits")
public class InFlightCommits extends KafkaConsumerListener implements KafkaManualCommitFactory, Predicate<Object> {

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
        // a held partition reads again from the record it is held at (records polled meanwhile are not taken)
        Set<TopicPartition> pause = new HashSet<>(jobs.holds(consumer, assigned, consumer::seek));
        pause.addAll(jobs.mustWait(consumer, assigned));
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

    @Override
    public boolean test(Object ignored) {
        return !jobs.full();
    }

    private void commit(Consumer<?, ?> consumer, Set<TopicPartition> assigned) {
        Map<TopicPartition, OffsetAndMetadata> offsets = jobs.committable(consumer, assigned, false);
        if (offsets.isEmpty()) {
            return;
        }
        consumer.commitAsync(offsets, (committed, e) -> {
            if (e == null) {
                jobs.committed(consumer, committed);
            } else {
                jobs.commitFailed(consumer, offsets);
                LOG.debugf("committing %s failed (%s); the next poll commits again", offsets, e.getMessage());
            }
        });
    }

    /**
     * Camel's per-record commit object (header {@code CamelKafkaManualCommit}): it commits nothing (the consumers
     * commit after each poll instead) and names the consumer that polled the record.
     */
    @Override
    public KafkaManualCommit newInstance(CamelExchangePayload exchange, KafkaRecordPayload record,
            CommitManager commitManager) {
        return new PolledBy(exchange.consumer);
    }

    /** The consumer that polled the record of {@code in} (a message of the intake or a retries route). */
    static Consumer<?, ?> polledBy(Message in) {
        if (in.getHeader(KafkaConstants.MANUAL_COMMIT) instanceof PolledBy p) {
            return p.consumer();
        }
        throw new IllegalStateException("a record not polled by a consumer of jobs (kafkaManualCommitFactory)");
    }

    /** What {@link #newInstance} gives each record: the consumer that polled it. */
    record PolledBy(Consumer<?, ?> consumer) implements KafkaManualCommit {
        @Override
        public void commit() {
            // the consumers commit after each poll
        }
    }
}
