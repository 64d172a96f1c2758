package io.submissionrouter.demo;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAccumulator;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads a contender's results topic on its own thread. Job ids are {@code <phase>-<n>} (warm-up, run, latency);
 * per phase it counts results and the ones not SENT, and keeps the latest result's timestamp (the results topics
 * stamp records with the broker's append time: when a result was durable) and, for the latency phase, each one's.
 */
final class ResultWatch implements AutoCloseable {

    static final String LATENCY_PHASE = "lat";

    private final KafkaConsumer<String, byte[]> consumer;
    private final Thread thread;
    private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> notSent = new ConcurrentHashMap<>();
    private final Map<String, LongAccumulator> last = new ConcurrentHashMap<>();
    private final Map<String, Long> latencyResults = new ConcurrentHashMap<>();
    private volatile boolean running = true;

    ResultWatch(String bootstrap, String topic) {
        consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "bench-watch-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), new ByteArrayDeserializer());
        consumer.subscribe(List.of(topic));
        thread = new Thread(this::read, "bench-results-" + topic);
        thread.start();
    }

    private void read() {
        while (running) {
            for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                String phase = r.key().substring(0, Math.max(0, r.key().indexOf('-')));
                if (!new String(r.value(), StandardCharsets.UTF_8).contains("\"status\":\"SENT\"")) {
                    notSent.computeIfAbsent(phase, p -> new AtomicLong()).incrementAndGet();
                }
                last.computeIfAbsent(phase, p -> new LongAccumulator(Math::max, 0)).accumulate(r.timestamp());
                if (phase.equals(LATENCY_PHASE)) {
                    latencyResults.put(r.key(), r.timestamp());
                }
                counts.computeIfAbsent(phase, p -> new AtomicLong()).incrementAndGet();
            }
        }
        consumer.close();
    }

    /** Waits until {@code phase} has {@code results} results. */
    void await(String phase, long results, Duration within) throws InterruptedException {
        long end = System.nanoTime() + within.toNanos();
        while (count(phase) < results) {
            if (System.nanoTime() > end) {
                throw new IllegalStateException(count(phase) + " of " + results + " results of " + phase
                        + " after " + within);
            }
            Thread.sleep(10);
        }
    }

    long count(String phase) {
        AtomicLong n = counts.get(phase);
        return n == null ? 0 : n.get();
    }

    long notSent(String phase) {
        AtomicLong n = notSent.get(phase);
        return n == null ? 0 : n.get();
    }

    /** When the last result of {@code phase} was appended (epoch ms). */
    long lastAt(String phase) {
        return last.get(phase).get();
    }

    /** When the result of each job of the latency phase was appended (epoch ms), by jobId. */
    Map<String, Long> latencyResults() {
        return Map.copyOf(latencyResults);
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(5000);
    }
}
