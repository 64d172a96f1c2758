package io.submissionrouter.idempotency;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidDefinitionException;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.job.RouterFault;
import io.submissionrouter.kafka.Topics;
import io.submissionrouter.pass.CompletedJob;
import io.submissionrouter.pass.Completion;
import io.submissionrouter.pass.RecordRef;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.apache.camel.CamelContext;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

/**
 * The jobIds completed within {@code submission.idempotency.window} (CONTRACT 5.4), shared by every replica and
 * surviving restarts: each replica reads the whole compacted idempotency topic into memory at startup (the intake
 * starts once it has caught up) and keeps tailing it, on Camel's pool of one {@code CompletedJobsTail}. Entries older
 * than the window are ignored and swept; the topic is created with {@code cleanup.policy=compact,delete} and
 * {@code retention.ms} = the window.
 * <p>
 * A consumer of its own, not a camel-kafka route: every replica must read every partition from the beginning (an
 * assignment, where camel-kafka shares partitions in a consumer group) and know when it has read to the end offsets
 * it found at the start, which camel-kafka does not tell.
 * <p>
 * A replica remembers its own completions before it writes them (so it never sends a job again, whatever the write's
 * fate); its records carry an {@value #ORIGIN_HEADER} header naming this run, so the tail skips those it knows instead
 * of parsing each a second time (about a tenth of the router's CPU per job); after a restart they are read like any
 * other. A replica given partitions of the jobs topic first reads this topic to its end ({@link #readToEnd}).
 * <p>
 * Memory: one entry (jobId, status, time, the job's record, where its completion is) per job completed within the
 * window; the result or state a completion record holds is read when needed ({@link #fetch}).
 * <p>
 * Over 300 lines because the load, the tail, the window's expiry and {@link #fetch} share the map of completed jobIds
 * and the tail's positions in the topic; split, each part would need both passed in and kept in step.
 */
@ApplicationScoped
public class CompletedJobs {

    /** The header naming the run of the replica that wrote a completion record. */
    public static final String ORIGIN_HEADER = "origin";

    private static final Logger LOG = Logger.getLogger(CompletedJobs.class);
    private static final Duration SWEEP_EVERY = Duration.ofMinutes(1);
    /** The longest pause of the tail after failures in a row. */
    private static final Duration MAX_PAUSE = Duration.ofSeconds(30);

    private final byte[] origin = UUID.randomUUID().toString().getBytes(StandardCharsets.US_ASCII);

    private final Map<String, CompletedJob> completed = new ConcurrentHashMap<>();
    /** The tail's position in each partition of the topic, for {@link #readToEnd}. */
    private final Map<Integer, Long> positions = new ConcurrentHashMap<>();
    private volatile Properties clientProperties;
    /** Set on shutdown: consumers being stopped get their partitions without waiting for a tail that has stopped. */
    private volatile boolean stopping;
    private KafkaConsumer<String, byte[]> fetcher;
    private final ObjectMapper mapper;
    private final CamelContext camel;
    private final String topic;
    private final Duration window;
    private final Clock clock;
    /** How often the tail forgets the completions older than the window. */
    private final Duration sweepEvery;
    /** Records skipped because they cannot be read ({@code submission_idempotency_unreadable_records_total}). */
    private final AtomicLong unreadable = new AtomicLong();
    /** Counted down when the tail of the last {@link #start} has read the topic to the end it had then. */
    private volatile CountDownLatch caughtUp = new CountDownLatch(1);
    private volatile KafkaConsumer<String, byte[]> consumer;
    /** Runs the tail: one thread, kept for a start after a failed one (the tail before has ended by then). */
    private ExecutorService tailer;
    private final Object tailerLock = new Object();

    @Inject
    public CompletedJobs(ObjectMapper mapper, CamelContext camel, SubmissionConfig config, MeterRegistry registry) {
        this(mapper, camel, config.topics().idempotency(), config.idempotency().window(), Clock.systemUTC(),
                SWEEP_EVERY);
        FunctionCounter.builder("submission.idempotency.unreadable.records", unreadable, AtomicLong::get)
                .description("Records of the idempotency topic skipped because they cannot be read as a completion")
                .register(registry);
    }

    CompletedJobs(ObjectMapper mapper, CamelContext camel, String topic, Duration window, Clock clock,
            Duration sweepEvery) {
        this.mapper = mapper;
        this.camel = camel;
        this.topic = topic;
        this.window = window;
        this.clock = clock;
        this.sweepEvery = sweepEvery;
    }

    /** The completion of {@code jobId} within the window, if any. */
    public Optional<CompletedJob> find(String jobId) {
        CompletedJob c = completed.get(jobId);
        if (c == null || c.completedAt().isBefore(clock.instant().minus(window))) {
            return Optional.empty();
        }
        return Optional.of(c);
    }

    /**
     * Remembers a completion this replica is about to write to the topic: remembered before it is written, so this
     * replica never sends the job again, whatever the write's fate (the tail skips the record when it reads it back).
     */
    public void remember(String jobId, Completion completion) {
        completed.merge(jobId, CompletedJob.of(completion, null), CompletedJobs::newer);
    }

    public String topic() {
        return topic;
    }

    /** The value of {@link #ORIGIN_HEADER} on the completion records this run writes. */
    public byte[] origin() {
        return origin.clone();
    }

    /**
     * Creates the topic if needed, reads it to its end and keeps tailing it. Returns once caught up.
     *
     * @param clientProperties Kafka client settings (brokers and security) of the router's Kafka component
     * @param partitions       partitions for a new topic: those of the jobs topic, so both are co-partitioned
     * @throws IllegalStateException when not caught up within {@code timeout}, or stopped ({@link #stop}) meanwhile
     */
    public void start(Properties clientProperties, int partitions, Duration timeout) throws InterruptedException {
        stopping = false;
        Topics.ensure(clientProperties, List.of(topic), partitions, topicConfigs());
        Properties p = new Properties();
        p.putAll(clientProperties);
        p.remove(ConsumerConfig.GROUP_ID_CONFIG);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        this.clientProperties = p;
        KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        consumer = c;
        CountDownLatch read = new CountDownLatch(1); // each start waits for its own tail, a restart too
        caughtUp = read;
        tailer().execute(() -> tail(c, read));
        long deadline = System.nanoTime() + timeout.toNanos();
        // waits in steps, so that a stop (shutdown) ends the wait at once rather than after the whole timeout
        while (!read.await(Math.max(1, Math.min(100, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()))),
                TimeUnit.MILLISECONDS)) {
            if (stopping) {
                throw new IllegalStateException("stopped before the idempotency topic " + topic + " was read");
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new IllegalStateException("could not read the idempotency topic " + topic + " within " + timeout);
            }
        }
        LOG.infof("idempotency: %d jobIds completed within %s known from %s", completed.size(), window, topic);
    }

    void onShutdown(@Observes ShutdownEvent event) {
        stop();
    }

    /** Stops tailing (the consumer closes itself on its thread, which is then free for a next {@link #start}). */
    public void stop() {
        stopping = true;
        KafkaConsumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        synchronized (this) {
            if (fetcher != null) {
                fetcher.close(Duration.ofSeconds(1));
                fetcher = null;
            }
        }
    }

    private ExecutorService tailer() {
        synchronized (tailerLock) {
            if (tailer == null) {
                tailer = camel.getExecutorServiceManager().newSingleThreadExecutor(this, "CompletedJobsTail");
            }
            return tailer;
        }
    }

    private void tail(KafkaConsumer<String, byte[]> tailed, CountDownLatch caughtUp) {
        try (KafkaConsumer<String, byte[]> c = tailed) {
            List<TopicPartition> partitions = partitions(c);
            c.assign(partitions);
            c.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = c.endOffsets(partitions);
            long lastSweep = System.nanoTime();
            int failures = 0;
            while (true) {
                try {
                    pollOnce(c);
                    if (caughtUp.getCount() > 0 && end.entrySet().stream()
                            .allMatch(e -> c.position(e.getKey()) >= e.getValue())) {
                        caughtUp.countDown();
                    }
                    if (System.nanoTime() - lastSweep > sweepEvery.toNanos()) {
                        lastSweep = System.nanoTime();
                        sweep();
                    }
                    failures = 0;
                } catch (WakeupException | InterruptException e) {
                    throw e; // stopping
                } catch (RuntimeException e) {
                    // the tail must not end while the replica runs: every job would then be sent as if never seen
                    pauseAfter(++failures, e);
                }
            }
        } catch (WakeupException | InterruptException e) {
            // stopping (a stop, or the pool shut down by Camel)
        } catch (RuntimeException e) {
            // before the loop (the topic's partitions and ends): start() does not see the tail catch up, and fails
            LOG.errorf(e, "reading the idempotency topic %s failed; duplicates can no longer be suppressed", topic);
        }
    }

    /** Logs a failure of the tail's loop and pauses, longer after each failure in a row (up to {@link #MAX_PAUSE}). */
    private void pauseAfter(int failures, RuntimeException e) {
        Duration pause = Duration.ofSeconds(1L << Math.min(failures - 1, 5));
        pause = pause.compareTo(MAX_PAUSE) > 0 ? MAX_PAUSE : pause;
        if (failures == 1) {
            LOG.errorf(e, "tailing the idempotency topic %s failed; it goes on in %s", topic, pause);
        } else {
            LOG.errorf("tailing the idempotency topic %s failed again (%d in a row: %s); it goes on in %s", topic,
                    failures, e.toString(), pause);
        }
        sleep(pause.toMillis());
    }

    /** Sleeps on the tail's thread; interrupted, it stops the tail as a wakeup does. */
    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new WakeupException();
        }
    }

    /**
     * The topic's partitions. Right after the topic was created the client may not see them yet; assigning
     * none would tail nothing and take that for caught up, so this waits until they show.
     */
    private List<TopicPartition> partitions(KafkaConsumer<String, byte[]> c) {
        while (true) {
            List<TopicPartition> partitions = c.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(info -> new TopicPartition(topic, info.partition())).toList();
            if (!partitions.isEmpty()) {
                return partitions;
            }
            sleep(200);
        }
    }

    /** One poll; a failure is logged and retried after a pause (the client reconnects by itself). */
    private void pollOnce(KafkaConsumer<String, byte[]> c) {
        Map<TopicPartition, Long> unapplied = new HashMap<>();
        try {
            ConsumerRecords<String, byte[]> batch = c.poll(Duration.ofMillis(200));
            batch.partitions().forEach(tp -> unapplied.put(tp, batch.records(tp).get(0).offset()));
            for (ConsumerRecord<String, byte[]> r : batch) {
                unapplied.put(new TopicPartition(r.topic(), r.partition()), r.offset());
                RecordRef location = new RecordRef(r.topic(), r.partition(), r.offset());
                if (writtenHereAndKnown(r)) {
                    // not parsed again, but where the newest one is is noted: its result may have to be written again
                    completed.computeIfPresent(r.key(), (k, known) -> new CompletedJob(known.status(),
                            known.messageId(), known.completedAt(), known.source(), known.done(), location));
                } else {
                    apply(r.key(), r.value(), location);
                }
                unapplied.put(new TopicPartition(r.topic(), r.partition()), r.offset() + 1);
            }
            for (TopicPartition tp : c.assignment()) {
                positions.put(tp.partition(), c.position(tp));
            }
        } catch (WakeupException | InterruptException e) {
            throw e; // stopping
        } catch (RouterFault e) {
            // read again, never skipped: a completion passed over is a job sent again. The tail's loop backs off,
            // and start() never sees it caught up while the router cannot read its own records.
            unapplied.forEach(c::seek);
            throw e;
        } catch (RuntimeException e) {
            LOG.warnf("reading %s failed (%s); retrying", topic, e.getMessage());
            sleep(1000);
        }
    }

    /**
     * A completion this run wrote and remembered before writing it: read back, it only costs parsing (about a tenth
     * of the router's CPU per job). One this run wrote but does not know (it cannot happen, as each is remembered
     * first, but memory is what keeps a job from being sent twice) is read like any other; tombstones always are.
     */
    private boolean writtenHereAndKnown(ConsumerRecord<String, byte[]> r) {
        Header h = r.headers().lastHeader(ORIGIN_HEADER);
        return r.value() != null && h != null && Arrays.equals(h.value(), origin) && r.key() != null
                && completed.containsKey(r.key());
    }

    /**
     * Takes one record of the topic: a completion, or a tombstone. A record that cannot be read as a completion (not
     * JSON, or without the status or the time it was completed) completes nothing: it is skipped with a warning and
     * counted, and a known completion of the same jobId stays as it was.
     */
    void apply(String jobId, byte[] value, RecordRef location) {
        if (jobId == null) {
            return;
        }
        if (value == null) {
            completed.remove(jobId);
            return;
        }
        Completion c;
        try {
            c = mapper.readValue(value, Completion.class);
        } catch (InvalidDefinitionException e) {
            throw new RouterFault(Completion.class, e); // skipping it would forget a completed job
        } catch (IOException | RuntimeException e) {
            skip(jobId, location, e.getClass().getSimpleName());
            return;
        }
        if (c == null || c.status() == null || c.completedAt() == null) {
            skip(jobId, location, c == null || c.status() == null ? "no status" : "no completedAt");
            return;
        }
        completed.merge(jobId, CompletedJob.of(c, location), CompletedJobs::newer);
    }

    private void skip(String jobId, RecordRef location, String why) {
        unreadable.incrementAndGet();
        LOG.warnf("skipping the record of %s on %s at %s: it cannot be read as a completion (%s)", jobId, topic,
                location, why);
    }

    /** Records of the topic skipped because they could not be read as a completion, since this instance started. */
    public long unreadableRecords() {
        return unreadable.get();
    }

    /**
     * Whether the tail has read every completion record written before this call, asked without waiting: the end
     * offsets of the topic now (within {@code timeout}), and a check that the tail's positions reached them. What a
     * replica asks before it works on partitions of the jobs topic it was just given, so that it knows every job their
     * last owner completed (CONTRACT 5.4). True when the tail was never started (nothing takes jobs before it has
     * caught up); never true while the tail stops (shutting down, or a start that failed): nothing may be taken then.
     *
     * @throws IllegalStateException when the end offsets cannot be read within {@code timeout}
     */
    public BooleanSupplier readToEnd(Duration timeout) {
        Properties p = clientProperties;
        if (p == null) {
            return () -> true;
        }
        Map<Integer, Long> ends = new java.util.HashMap<>();
        try (Admin admin = Admin.create(p)) {
            Map<TopicPartition, OffsetSpec> latest = new java.util.HashMap<>();
            positions.keySet().forEach(partition -> latest.put(new TopicPartition(topic, partition), OffsetSpec.latest()));
            admin.listOffsets(latest).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS)
                    .forEach((tp, info) -> ends.put(tp.partition(), info.offset()));
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("cannot read the end of the idempotency topic " + topic + ": " + e, e);
        }
        return () -> !stopping
                && ends.entrySet().stream().allMatch(e -> positions.getOrDefault(e.getKey(), -1L) >= e.getValue());
    }

    /**
     * The whole completion record of {@code job} (its result or state), read from where the tail found it; empty
     * when its place is not known (this replica wrote it) or the record is gone.
     */
    public synchronized Optional<Completion> fetch(CompletedJob job) {
        RecordRef at = job.location();
        if (at == null || clientProperties == null) {
            return Optional.empty();
        }
        if (fetcher == null) {
            fetcher = new KafkaConsumer<>(clientProperties, new StringDeserializer(), new ByteArrayDeserializer());
        }
        TopicPartition tp = new TopicPartition(at.topic(), at.partition());
        fetcher.assign(List.of(tp));
        fetcher.seek(tp, at.offset());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            for (ConsumerRecord<String, byte[]> r : fetcher.poll(Duration.ofMillis(200))) {
                if (r.offset() == at.offset() && r.value() != null) {
                    try {
                        return Optional.of(mapper.readValue(r.value(), Completion.class));
                    } catch (InvalidDefinitionException e) {
                        throw new RouterFault(Completion.class, e);
                    } catch (IOException e) {
                        return Optional.empty();
                    }
                }
                if (r.offset() > at.offset()) {
                    return Optional.empty(); // compacted away: a newer record of the job holds its state
                }
            }
        }
        throw new IllegalStateException("cannot read the completion record at " + at + " within 10 s");
    }

    void sweep() {
        Instant horizon = clock.instant().minus(window);
        completed.values().removeIf(c -> c.completedAt() == null || c.completedAt().isBefore(horizon));
    }

    /** The later of two completions of a job; of two at the same time, the one that ended it. */
    private static CompletedJob newer(CompletedJob a, CompletedJob b) {
        if (b.completedAt().equals(a.completedAt())) {
            return b.done() || !a.done() ? withLocation(b, a) : a;
        }
        return b.completedAt().isAfter(a.completedAt()) ? withLocation(b, a) : a;
    }

    /** {@code b}, knowing where its record is if only {@code a} (the same record read back) knew. */
    private static CompletedJob withLocation(CompletedJob b, CompletedJob a) {
        return b.location() == null && a.location() != null && a.completedAt().equals(b.completedAt())
                ? new CompletedJob(b.status(), b.messageId(), b.completedAt(), b.source(), b.done(), a.location()) : b;
    }

    /**
     * Creates the topic if it is missing, taking records of up to {@code maxMessageBytes}: what a completion record
     * (the whole result of a job, or its retry state) may need (CONTRACT 9.3). The router's startup does this before
     * {@link #start}, which finds the topic there.
     */
    public void createTopic(Properties clientProperties, int partitions, long maxMessageBytes) {
        Map<String, String> configs = new java.util.HashMap<>(topicConfigs());
        configs.put(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(maxMessageBytes));
        Topics.ensure(clientProperties, List.of(topic), partitions, configs);
    }

    private Map<String, String> topicConfigs() {
        return Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, "compact,delete",
                TopicConfig.RETENTION_MS_CONFIG, String.valueOf(window.toMillis()));
    }
}
