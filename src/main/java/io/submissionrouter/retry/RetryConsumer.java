package io.submissionrouter.retry;

import io.quarkus.runtime.ShutdownEvent;
import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.rate.GroupRates;
import io.submissionrouter.routing.RelayGroups;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.jboss.logging.Logger;

/**
 * Reads the retry tiers and waiting topics and hands each job to the route {@code direct:redeliver} when it
 * is due. Nothing waits on a thread: a partition whose next record is not due yet is paused (and its
 * position kept on that record) until it is, while the other partitions and topics flow. A waiting
 * topic's partition stays paused while no endpoint of its relay group admits calls, and resumes when a
 * probe or the breaker's half-open state lets one in, or when its next job reaches
 * {@code submission.retry.max-age} (it then ends {@code EXPIRED}). A waiting job of a group at its rate limit is held
 * until the group's next permit, so a backlog drains at the group's pace.
 * <p>
 * At least once, like the intake: a record's offset is committed only after the route published the job's
 * outcome (result, dlq record, or its next tier) and Kafka acknowledged it. Consumer group:
 * {@code <submission.consumer.group-id>-retry}.
 */
@ApplicationScoped
public class RetryConsumer {

    static final String ROUTE = "direct:redeliver";
    private static final Logger LOG = Logger.getLogger(RetryConsumer.class);
    private static final Duration POLL = Duration.ofMillis(100);
    private static final long FAILURE_BACKOFF_MS = 1000;
    private static final Duration FIRST_WAIT = Duration.ofMillis(500);
    private static final Duration MAX_WAIT = Duration.ofSeconds(5);

    private final CamelContext camel;
    private final RetryTopics topics;
    private final DeferredRecords records;
    private final RelayGroups groups;
    private final GroupRates rates;
    private final SubmissionConfig config;
    private final Map<TopicPartition, Long> heldUntil = new HashMap<>();
    private final Map<TopicPartition, RelayHold> heldForRelay = new HashMap<>();
    private volatile boolean running;
    private volatile KafkaConsumer<byte[], byte[]> consumer;
    private ProducerTemplate template;
    private Thread thread;

    /** A waiting-topic partition paused until its group admits calls or its next job expires. */
    private record RelayHold(String relay, long deadline) {
    }

    public RetryConsumer(CamelContext camel, RetryTopics topics, DeferredRecords records, RelayGroups groups,
            GroupRates rates, SubmissionConfig config) {
        this.rates = rates;
        this.camel = camel;
        this.topics = topics;
        this.records = records;
        this.groups = groups;
        this.config = config;
    }

    /** Starts reading the tier and waiting topics; {@code client} holds the brokers and security settings. */
    public synchronized void start(Properties client) {
        Properties p = new Properties();
        p.putAll(client);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, config.consumer().groupId() + "-retry");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, String.valueOf(config.consumer().maxPollRecords()));
        p.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, String.valueOf(config.consumer().maxPollIntervalMs()));
        p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, String.valueOf(config.consumer().sessionTimeoutMs()));
        template = camel.createProducerTemplate();
        consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        running = true;
        thread = new Thread(this::run, "retry-consumer");
        // shutdown waits for it (onShutdown); a daemon never keeps a stopped JVM alive
        thread.setDaemon(true);
        thread.start();
        LOG.infof("retry consumer reading %s", topics.all());
    }

    void onShutdown(@Observes ShutdownEvent event) throws InterruptedException {
        stop(Duration.ofSeconds(30));
    }

    /** Stops after the job in hand is published and committed, waiting at most {@code bound}. */
    public void stop(Duration bound) throws InterruptedException {
        running = false;
        KafkaConsumer<byte[], byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        Thread t = thread;
        if (t != null) {
            t.join(bound.toMillis());
        }
    }

    private void run() {
        try (KafkaConsumer<byte[], byte[]> c = consumer) {
            c.subscribe(topics.all(), new Forget());
            while (running) {
                try {
                    releaseDue(c, System.currentTimeMillis());
                    ConsumerRecords<byte[], byte[]> batch = c.poll(POLL);
                    for (TopicPartition tp : batch.partitions()) {
                        handleAll(c, tp, batch.records(tp));
                    }
                } catch (WakeupException e) {
                    // stopping, or woken for nothing: the loop condition decides
                } catch (KafkaException e) {
                    LOG.warnf("reading the retry topics failed (%s); retrying", e.getMessage());
                    sleep(FAILURE_BACKOFF_MS);
                } catch (RuntimeException e) {
                    // never let one surprise stop the retries: the records stay uncommitted and come again
                    LOG.errorf(e, "the retry consumer met an unexpected failure; going on");
                    sleep(FAILURE_BACKOFF_MS);
                }
            }
        } catch (RuntimeException e) {
            LOG.errorf(e, "the retry consumer could not close cleanly");
        } finally {
            if (template != null) {
                template.stop();
            }
        }
    }

    /**
     * Processes a partition's records in order until one is not due or fails; the partition's position is
     * put back on the first record not processed, so none is skipped.
     */
    private void handleAll(KafkaConsumer<byte[], byte[]> c, TopicPartition tp, List<ConsumerRecord<byte[], byte[]>> rs) {
        int i = 0;
        try {
            while (i < rs.size() && running && handle(c, tp, rs.get(i))) {
                i++;
            }
        } catch (WakeupException e) {
            throw e;
        } catch (KafkaException e) {
            LOG.warnf("committing on %s failed (%s); its records are read again", tp, e.getMessage());
            hold(c, tp, System.currentTimeMillis() + FAILURE_BACKOFF_MS);
        } finally {
            if (i < rs.size()) {
                try {
                    c.seek(tp, rs.get(i).offset());
                } catch (IllegalStateException notAssigned) {
                    // revoked meanwhile: its new owner starts from the committed offset
                }
            }
        }
    }

    /** Processes one record when it is due; otherwise pauses its partition and returns false. */
    private boolean handle(KafkaConsumer<byte[], byte[]> c, TopicPartition tp, ConsumerRecord<byte[], byte[]> r) {
        long now = System.currentTimeMillis();
        DeferredJob job = records.read(r);
        long due = r.timestamp() + topics.tierDelay(r.topic())
                .orElseGet(() -> waitBackoff(job.state() == null ? 0 : job.state().waits())).toMillis();
        if (now < due) {
            hold(c, tp, due);
            return false;
        }
        String relay = topics.waitingRelay(r.topic()).orElse(null);
        long deadline = job.source().timestamp().plus(config.retry().maxAge()).toEpochMilli();
        if (relay != null && now < deadline && !groups.mayAdmit(relay)) {
            c.pause(List.of(tp));
            heldForRelay.put(tp, new RelayHold(relay, deadline));
            return false;
        }
        if (relay != null && now < deadline && !rates.admitsSoon(relay)) {
            // the group's rate: this job's turn comes with the next permit
            hold(c, tp, now + Math.max(1, rates.untilNextPermit(relay).toMillis()));
            return false;
        }
        Exchange done = template.send(ROUTE, ex -> ex.setProperty(DeferredJob.PROPERTY, job));
        if (done.getException() != null) {
            LOG.warnf("job %s from %s-%d@%d could not be processed (%s); it stays there and is tried again",
                    job.source().topic() + "@" + job.source().offset(), r.topic(), r.partition(), r.offset(),
                    done.getException().getMessage());
            hold(c, tp, now + FAILURE_BACKOFF_MS);
            return false;
        }
        c.commitSync(Map.of(tp, new OffsetAndMetadata(r.offset() + 1)));
        return true;
    }

    private void hold(KafkaConsumer<byte[], byte[]> c, TopicPartition tp, long until) {
        try {
            c.pause(List.of(tp));
            heldUntil.put(tp, until);
        } catch (IllegalStateException notAssigned) {
            // revoked meanwhile: nothing to hold
        }
    }

    private void releaseDue(KafkaConsumer<byte[], byte[]> c, long now) {
        for (Iterator<Map.Entry<TopicPartition, Long>> it = heldUntil.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<TopicPartition, Long> e = it.next();
            if (e.getValue() <= now) {
                c.resume(List.of(e.getKey()));
                it.remove();
            }
        }
        for (Iterator<Map.Entry<TopicPartition, RelayHold>> it = heldForRelay.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<TopicPartition, RelayHold> e = it.next();
            if (now >= e.getValue().deadline() || groups.mayAdmit(e.getValue().relay())) {
                c.resume(List.of(e.getKey()));
                it.remove();
            }
        }
    }

    /** The pause before a parked job is looked at again: grows with every wait, 500 ms up to 5 s. */
    static Duration waitBackoff(int waits) {
        long millis = FIRST_WAIT.toMillis() << Math.min(10, Math.max(0, waits - 1));
        return Duration.ofMillis(Math.min(millis, MAX_WAIT.toMillis()));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Partitions taken away in a rebalance lose their holds; their new owner starts from the committed offset. */
    private final class Forget implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            partitions.forEach(tp -> {
                heldUntil.remove(tp);
                heldForRelay.remove(tp);
            });
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            // new partitions start unpaused, at their committed offset
        }
    }
}
