package io.submissionrouter.idempotency;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.runtime.ShutdownEvent;
import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.kafka.Topics;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

/**
 * The jobIds completed within {@code submission.idempotency.window} (CONTRACT 5.4), shared by every
 * replica and surviving restarts: each replica reads the whole compacted idempotency topic into memory
 * at startup (the intake starts only once it has caught up) and keeps tailing it, so a completion written
 * by one replica is known to all. Entries older than the window are ignored and swept; the topic itself
 * is created with {@code cleanup.policy=compact,delete} and {@code retention.ms} = the window.
 * <p>
 * A replica remembers its own completions when Kafka acknowledges them; its records carry an
 * {@value #ORIGIN_HEADER} header naming this run of the replica, so the tail skips them instead of parsing
 * every one a second time (about a tenth of the router's CPU per job). After a restart the run is a new one,
 * and they are read like any other.
 * <p>
 * Memory: one entry (jobId, status, time) per job completed within the window.
 */
@ApplicationScoped
public class CompletedJobs {

    /** The header naming the run of the replica that wrote a completion record. */
    public static final String ORIGIN_HEADER = "origin";

    private static final Logger LOG = Logger.getLogger(CompletedJobs.class);

    private final byte[] origin = UUID.randomUUID().toString().getBytes(StandardCharsets.US_ASCII);

    private final Map<String, Completion> completed = new ConcurrentHashMap<>();
    private final ObjectMapper mapper;
    private final String topic;
    private final Duration window;
    private final Clock clock;
    private final CountDownLatch caughtUp = new CountDownLatch(1);
    private volatile KafkaConsumer<String, byte[]> consumer;
    private Thread tailer;

    @Inject
    public CompletedJobs(ObjectMapper mapper, SubmissionConfig config) {
        this(mapper, config.topics().idempotency(), config.idempotency().window(), Clock.systemUTC());
    }

    CompletedJobs(ObjectMapper mapper, String topic, Duration window, Clock clock) {
        this.mapper = mapper;
        this.topic = topic;
        this.window = window;
        this.clock = clock;
    }

    /** The completion of {@code jobId} within the window, if any. */
    public Optional<Completion> find(String jobId) {
        Completion c = completed.get(jobId);
        if (c == null || c.completedAt().isBefore(clock.instant().minus(window))) {
            return Optional.empty();
        }
        return Optional.of(c);
    }

    /** Remembers a completion this replica has just written to the topic (before the tail reads it back). */
    public void remember(String jobId, Completion completion) {
        completed.merge(jobId, completion, CompletedJobs::newer);
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
     */
    public void start(Properties clientProperties, int partitions, Duration timeout) throws InterruptedException {
        createTopic(clientProperties, partitions);
        Properties p = new Properties();
        p.putAll(clientProperties);
        p.remove(ConsumerConfig.GROUP_ID_CONFIG);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        tailer = new Thread(this::tail, "completed-jobs-tail");
        tailer.setDaemon(true);
        tailer.start();
        if (!caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("could not read the idempotency topic " + topic + " within " + timeout);
        }
        LOG.infof("idempotency: %d jobIds completed within %s known from %s", completed.size(), window, topic);
    }

    void onShutdown(@Observes ShutdownEvent event) {
        stop();
    }

    /** Stops tailing (the consumer closes itself on its thread). */
    public void stop() {
        KafkaConsumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
    }

    private void tail() {
        try (KafkaConsumer<String, byte[]> c = consumer) {
            List<TopicPartition> partitions = partitions(c);
            c.assign(partitions);
            c.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = c.endOffsets(partitions);
            long lastSweep = System.nanoTime();
            while (true) {
                pollOnce(c);
                if (caughtUp.getCount() > 0 && end.entrySet().stream().allMatch(e -> c.position(e.getKey()) >= e.getValue())) {
                    caughtUp.countDown();
                }
                if (System.nanoTime() - lastSweep > TimeUnit.MINUTES.toNanos(1)) {
                    sweep();
                    lastSweep = System.nanoTime();
                }
            }
        } catch (WakeupException e) {
            // stopping
        } catch (RuntimeException e) {
            LOG.errorf(e, "reading the idempotency topic %s failed; duplicates can no longer be suppressed", topic);
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
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new WakeupException();
            }
        }
    }

    /** One poll; a failure is logged and retried after a pause (the client reconnects by itself). */
    private void pollOnce(KafkaConsumer<String, byte[]> c) {
        try {
            for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                if (!writtenHere(r)) {
                    apply(r.key(), r.value());
                }
            }
        } catch (WakeupException e) {
            throw e;
        } catch (RuntimeException e) {
            LOG.warnf("reading %s failed (%s); retrying", topic, e.getMessage());
            try {
                Thread.sleep(1000);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new WakeupException();
            }
        }
    }

    /** A completion this run wrote (and remembered when it was acknowledged); tombstones are never skipped. */
    private boolean writtenHere(ConsumerRecord<String, byte[]> r) {
        Header h = r.headers().lastHeader(ORIGIN_HEADER);
        return r.value() != null && h != null && Arrays.equals(h.value(), origin);
    }

    void apply(String jobId, byte[] value) {
        if (jobId == null) {
            return;
        }
        if (value == null) {
            completed.remove(jobId);
            return;
        }
        try {
            remember(jobId, mapper.readValue(value, Completion.class));
        } catch (IOException e) {
            LOG.warnf("ignoring an unreadable record for %s on %s: %s", jobId, topic,
                    new String(value, StandardCharsets.UTF_8));
        }
    }

    void sweep() {
        Instant horizon = clock.instant().minus(window);
        completed.values().removeIf(c -> c.completedAt().isBefore(horizon));
    }

    private static Completion newer(Completion a, Completion b) {
        return b.completedAt().isAfter(a.completedAt()) ? b : a;
    }

    private void createTopic(Properties clientProperties, int partitions) {
        Topics.ensure(clientProperties, List.of(topic), partitions, Map.of(
                TopicConfig.CLEANUP_POLICY_CONFIG, "compact,delete",
                TopicConfig.RETENTION_MS_CONFIG, String.valueOf(window.toMillis())));
    }
}
