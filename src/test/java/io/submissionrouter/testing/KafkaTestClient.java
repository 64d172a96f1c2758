package io.submissionrouter.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;

/**
 * What a producing team and a results consumer do, with plain Kafka clients: write jobs, and read
 * everything the router writes to the results, attempts and dead-letter topics.
 */
public final class KafkaTestClient implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final KafkaProducer<byte[], byte[]> producer;
    private final List<ConsumerRecord<byte[], byte[]>> records = new CopyOnWriteArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread poller;

    public KafkaTestClient(String bootstrap, List<String> topics) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(16 * 1024 * 1024));
        producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "test-observer-" + UUID.randomUUID());
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, "500");
        // as a results consumer should: topics are the router's to create, with the max.message.bytes they need
        // (a topic made here by subscribing to it first would take only the broker's default)
        c.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        consumer.subscribe(topics);
        poller = new Thread(() -> {
            try (consumer) {
                while (running.get()) {
                    consumer.poll(Duration.ofMillis(100)).forEach(records::add);
                }
            }
        }, "test-observer");
        poller.setDaemon(true);
        poller.start();
    }

    public void send(String topic, byte[] key, byte[] value, Map<String, String> headers) {
        send(topic, key, value, headers, null);
    }

    /** Sends with the record timestamp {@code at} (null: now), as a producer that created the job earlier. */
    public void send(String topic, byte[] key, byte[] value, Map<String, String> headers, java.time.Instant at) {
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, null, at == null ? null : at.toEpochMilli(),
                key, value);
        headers.forEach((k, v) -> record.headers().add(k, v.getBytes(StandardCharsets.UTF_8)));
        try {
            producer.send(record).get();
        } catch (Exception e) {
            throw new IllegalStateException("could not produce", e);
        }
    }

    public void sendJob(String jobId, String json) {
        send("email.jobs", jobId.getBytes(StandardCharsets.UTF_8), json.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    /** Every record seen on {@code topic}. */
    public List<ConsumerRecord<byte[], byte[]>> all(String topic) {
        return records.stream().filter(r -> r.topic().equals(topic)).toList();
    }

    /** Records on {@code topic} keyed by {@code key}. */
    public List<ConsumerRecord<byte[], byte[]>> on(String topic, String key) {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            if (r.topic().equals(topic) && r.key() != null && key.equals(new String(r.key(), StandardCharsets.UTF_8))) {
                out.add(r);
            }
        }
        return out;
    }

    /** Waits for the one result of {@code jobId} and returns it as JSON. */
    public JsonNode awaitResult(String jobId, Duration within) {
        Awaitility.await().atMost(within).pollInterval(Duration.ofMillis(50))
                .until(() -> !on("email.results", jobId).isEmpty());
        return json(on("email.results", jobId).get(0));
    }

    public List<JsonNode> attempts(String jobId) {
        return on("email.attempts", jobId).stream().map(KafkaTestClient::json).toList();
    }

    public static JsonNode json(ConsumerRecord<byte[], byte[]> record) {
        try {
            return JSON.readTree(record.value());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        Header h = record.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        running.set(false);
        producer.close();
    }
}
