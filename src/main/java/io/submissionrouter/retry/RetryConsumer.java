package io.submissionrouter.retry;

import io.submissionrouter.config.EndpointSpecs;
import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.idempotency.CompletedJobs;
import io.submissionrouter.job.RouterFault;
import io.submissionrouter.rate.GroupRates;
import io.submissionrouter.routing.JobProperties;
import io.submissionrouter.routing.RecordRef;
import io.submissionrouter.routing.RelayGroups;
import io.submissionrouter.routing.UnsettledPasses;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.kafka.clients.admin.Admin;
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
 * The retry consumer of one relay group: reads every retry tier and the group's waiting topic, and hands each of
 * the group's jobs to the route {@code direct:redeliver} when it is due; the other groups' jobs are passed over
 * (each group has a consumer, a thread and a consumer group of its own, so one group's slow job never holds up
 * another's retries, CONTRACT 5.3 step 3; the thread is Camel's, {@code RetryConsumer-<relay>}, a pool of one from its
 * ExecutorServiceManager). Nothing waits on a thread: a partition whose next record is not due yet
 * is paused (and its position kept on that record) until it is, while the other partitions and topics flow. A
 * waiting topic's partition stays paused while no endpoint of its relay group admits calls, and resumes when a
 * probe or the breaker's half-open state lets one in, or when its next job reaches
 * {@code submission.retry.max-age} (it then ends {@code EXPIRED}). A waiting job of a group at its rate limit is held
 * until the group's next permit, so a backlog drains at the group's pace.
 * <p>
 * At least once, like the intake: a record's offset is committed only after the route published what its pass owed
 * (result, dlq record, or its next tier) and Kafka acknowledged it; a pass whose writes failed is not run again when
 * its record is read again ({@link UnsettledPasses}). Consumer group: {@code <submission.consumer.group-id>-retry-<relay>}
 * (which starts, the first time, where the single retry consumer of earlier versions, group
 * {@code <group-id>-retry}, stopped). Created by {@link RetryConsumers}.
 */
public final class RetryConsumer {

    static final String ROUTE = "direct:redeliver";
    private static final Logger LOG = Logger.getLogger(RetryConsumer.class);
    private static final Duration POLL = Duration.ofMillis(100);
    private static final long FAILURE_BACKOFF_MS = 1000;
    /** How often a record the router cannot read is logged while it stays held (ERROR). */
    private static final long FAULT_LOG_EVERY_MS = 60_000;
    private static final Duration FIRST_WAIT = Duration.ofMillis(500);
    private static final Duration MAX_WAIT = Duration.ofSeconds(5);

    private final String relay;
    /** When a record this consumer cannot read was last logged (ms); the consumer's own thread only. */
    private long lastFaultLogged = Long.MIN_VALUE / 2;
    private final CamelContext camel;
    private final ProducerTemplate template;
    private final RetryTopics topics;
    private final DeferredRecords records;
    private final RelayGroups groups;
    private final GroupRates rates;
    private final SubmissionConfig config;
    private final CompletedJobs completedJobs;
    private final UnsettledPasses unsettled;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String legacyGroup;
    private final Properties client;
    private final Map<TopicPartition, Long> heldUntil = new HashMap<>();
    private final Map<TopicPartition, RelayHold> heldForRelay = new HashMap<>();
    /** Partitions whose last records were another group's and are not committed yet. */
    private final Map<TopicPartition, Long> passedOver = new HashMap<>();
    /** Partitions given before the idempotency topic could be read to its end: paused until it is. */
    private final java.util.Set<TopicPartition> catchingUp = new java.util.HashSet<>();
    private volatile boolean running;
    private ExecutorService executor;
    private Future<?> loop;

    /** A waiting-topic partition paused until its group admits calls or its next job expires. */
    private record RelayHold(String relay, long deadline) {
    }

    /** What a retry consumer works with; one set for all groups. */
    record Context(CamelContext camel, RetryTopics topics, DeferredRecords records, RelayGroups groups,
            GroupRates rates, SubmissionConfig config, CompletedJobs completedJobs, UnsettledPasses unsettled) {
    }

    RetryConsumer(String relay, Context ctx, Properties client) {
        this.relay = relay;
        this.camel = ctx.camel();
        this.topics = ctx.topics();
        this.records = ctx.records();
        this.groups = ctx.groups();
        this.rates = ctx.rates();
        this.config = ctx.config();
        this.completedJobs = ctx.completedJobs();
        this.unsettled = ctx.unsettled();
        this.client = client;
        this.legacyGroup = config.consumer().groupId() + "-retry";
        Properties p = new Properties();
        p.putAll(client);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, groupId(config, relay));
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, String.valueOf(config.consumer().maxPollRecords()));
        p.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, String.valueOf(config.consumer().maxPollIntervalMs()));
        p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, String.valueOf(config.consumer().sessionTimeoutMs()));
        this.template = ctx.camel().createProducerTemplate();
        this.consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /**
     * The consumer group of {@code relay}'s retry consumer, {@code <group-id>-retry-<relay>}. The single retry
     * consumer of earlier versions used {@code <group-id>-retry}; no consumer uses that group any more, so its
     * offsets are where each relay group's consumer starts the first time (nothing before them is read again,
     * nothing after them is skipped).
     */
    static String groupId(SubmissionConfig config, String relay) {
        return config.consumer().groupId() + "-retry-" + relay;
    }

    /** The topics this consumer reads: every tier and its group's waiting topic. */
    List<String> subscription() {
        List<String> all = new ArrayList<>(topics.tiers());
        all.add(topics.waitTopic(relay));
        return all;
    }

    /** Starts reading on a thread of its own (Camel's, a daemon: shutdown waits for it in {@link #stop}). */
    synchronized void start() {
        running = true;
        executor = camel.getExecutorServiceManager().newSingleThreadExecutor(this, "RetryConsumer-" + relay);
        loop = executor.submit(this::run);
        LOG.infof("retry consumer of relay group %s reading %s", relay, subscription());
    }

    /**
     * Stops after the job in hand is published and committed, waiting at most {@code bound}. The consumer is not
     * woken up: a wakeup would break the commit of the record in hand, and the record would run again.
     */
    void stop(Duration bound) throws InterruptedException {
        running = false;
        Future<?> f;
        ExecutorService e;
        synchronized (this) {
            f = loop;
            e = executor;
        }
        if (f == null) {
            return;
        }
        try {
            f.get(bound.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException stillBusy) {
            // the job in hand outlasts the bound: it is left to finish, neither cancelled nor interrupted
        } catch (ExecutionException failed) {
            LOG.errorf(failed.getCause(), "the retry consumer of relay group %s ended with a failure", relay);
        }
        // no task after the loop; the thread ends with it (never interrupted) and Camel leaves the pool alone
        camel.getExecutorServiceManager().shutdown(e);
    }

    private void run() {
        try (KafkaConsumer<byte[], byte[]> c = consumer) {
            c.subscribe(subscription(), new Rebalance(c));
            while (running) {
                try {
                    releaseDue(c, System.currentTimeMillis());
                    ConsumerRecords<byte[], byte[]> batch = c.poll(POLL);
                    List<TopicPartition> partitions = List.copyOf(batch.partitions());
                    for (int p = 0; p < partitions.size(); p++) {
                        try {
                            handleAll(c, partitions.get(p), batch.records(partitions.get(p)));
                        } catch (RuntimeException e) {
                            // the batch's partitions not handled yet are read again, never passed over
                            rewind(c, batch, partitions.subList(p + 1, partitions.size()));
                            throw e;
                        }
                    }
                    commitPassedOver(c);
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
        } catch (Error e) {
            // the pool's Future would keep it unseen until shutdown: say at once that this group's retries stopped.
            LOG.errorf(e, "the retry consumer of relay group %s stopped: its jobs are not retried until a restart",
                    relay); // logged here, once: the loop's Future then ends without a failure
        } finally {
            template.stop();
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

    /**
     * Processes one record of this group when it is due, passes over another group's; otherwise pauses its
     * partition and returns false.
     */
    private boolean handle(KafkaConsumer<byte[], byte[]> c, TopicPartition tp, ConsumerRecord<byte[], byte[]> r) {
        if (!relay.equals(records.relay(r, groups.names()))) {
            passedOver.put(tp, r.offset() + 1);
            return true;
        }
        long now = System.currentTimeMillis();
        DeferredJob job;
        try {
            job = records.read(r);
        } catch (RouterFault e) {
            if (now - lastFaultLogged > FAULT_LOG_EVERY_MS) { // the same fault, every second, until the router is fixed
                lastFaultLogged = now;
                LOG.errorf("%s-%d@%d stays there and is read again: %s", r.topic(), r.partition(), r.offset(),
                        e.getMessage());
            }
            hold(c, tp, now + FAILURE_BACKOFF_MS);
            return false;
        }
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
        RecordRef record = new RecordRef(r.topic(), r.partition(), r.offset());
        Exchange done = template.send(ROUTE, ex -> {
            ex.setProperty(JobProperties.DEFERRED_JOB, job);
            ex.setProperty(JobProperties.RECORD, record);
        });
        if (done.getException() != null) {
            LOG.warnf("job %s from %s-%d@%d could not be processed (%s); it stays there and is tried again",
                    job.source().topic() + "@" + job.source().offset(), r.topic(), r.partition(), r.offset(),
                    done.getException().getMessage());
            hold(c, tp, now + FAILURE_BACKOFF_MS);
            return false;
        }
        c.commitSync(Map.of(tp, new OffsetAndMetadata(r.offset() + 1)));
        passedOver.remove(tp);
        unsettled.settle(record);
        return true;
    }

    private static void rewind(KafkaConsumer<byte[], byte[]> c, ConsumerRecords<byte[], byte[]> batch,
            List<TopicPartition> partitions) {
        for (TopicPartition tp : partitions) {
            try {
                c.seek(tp, batch.records(tp).get(0).offset());
            } catch (IllegalStateException notAssigned) {
                // revoked meanwhile: its new owner starts from the committed offset
            }
        }
    }

    /** Commits past the other groups' records, without waiting (reading them again would only pass them over). */
    private void commitPassedOver(KafkaConsumer<byte[], byte[]> c) {
        if (passedOver.isEmpty()) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        passedOver.forEach((tp, next) -> offsets.put(tp, new OffsetAndMetadata(next)));
        passedOver.clear();
        c.commitAsync(offsets, null);
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
        if (!catchingUp.isEmpty()) {
            try {
                completedJobs.awaitCaughtUp(Duration.ofSeconds(5));
                List<TopicPartition> ready = catchingUp.stream().filter(tp -> !heldUntil.containsKey(tp)
                        && !heldForRelay.containsKey(tp)).toList();
                c.resume(ready);
                catchingUp.clear();
            } catch (RuntimeException e) {
                // still not: they stay paused, and this is tried again on the next round
            }
        }
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

    /**
     * Partitions taken away lose their holds; partitions given first wait for the idempotency
     * topic to be read to its end (so jobs completed by their last owner are known), and a group that has never
     * committed on a partition starts where the single retry consumer of earlier versions stopped.
     */
    private final class Rebalance implements ConsumerRebalanceListener {
        private final KafkaConsumer<byte[], byte[]> c;

        Rebalance(KafkaConsumer<byte[], byte[]> c) {
            this.c = c;
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            partitions.forEach(tp -> {
                heldUntil.remove(tp);
                heldForRelay.remove(tp);
                passedOver.remove(tp);
                catchingUp.remove(tp);
            });
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            if (partitions.isEmpty()) {
                return;
            }
            startWhereTheSingleConsumerStopped(partitions);
            try {
                completedJobs.awaitCaughtUp(Duration.ofSeconds(60));
            } catch (RuntimeException e) {
                // not a job of these partitions before every completion of their last owner is known
                LOG.warnf("the idempotency topic could not be read to its end (%s); %s waits", e.getMessage(),
                        partitions);
                c.pause(partitions);
                catchingUp.addAll(partitions);
            }
        }

        private void startWhereTheSingleConsumerStopped(Collection<TopicPartition> partitions) {
            Map<TopicPartition, OffsetAndMetadata> own = c.committed(new java.util.HashSet<>(partitions));
            List<TopicPartition> fresh = partitions.stream().filter(tp -> own.get(tp) == null).toList();
            if (fresh.isEmpty()) {
                return;
            }
            try (Admin admin = Admin.create(client)) {
                Map<TopicPartition, OffsetAndMetadata> legacy = admin.listConsumerGroupOffsets(legacyGroup)
                        .partitionsToOffsetAndMetadata().get(30, java.util.concurrent.TimeUnit.SECONDS);
                for (TopicPartition tp : fresh) {
                    OffsetAndMetadata at = legacy.get(tp);
                    if (at != null) {
                        c.seek(tp, at.offset());
                    }
                }
            } catch (Exception e) {
                throw new IllegalStateException("cannot read the offsets of " + legacyGroup + ": " + e, e);
            }
        }
    }
}
