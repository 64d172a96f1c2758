package io.submissionrouter.kafka;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * The Kafka producer of the router's one write step ({@code kafka-send}, routes/results.yaml): Kafka's own, with each
 * send tracked until Kafka answers it ({@link ProducerGeneration}), so that {@link ProducerWatch} sees when it stops
 * working and puts a new one in its place. The step is then handed the new one; a send that still reaches this one
 * goes to its successor. Its client.id is {@code smtp-submission-router-producer-N}, which names its network thread.
 */
final class WriteProducer extends KafkaProducer<Object, Object> {

    static final String CLIENT_ID_PREFIX = "smtp-submission-router-producer-";
    private static final AtomicInteger IDS = new AtomicInteger();

    /** The step's settings, client.id aside: a replacement is made with them. */
    private final Properties settings;
    private final RecordSizes sizes;
    private final ProducerWatch watch;
    private final ProducerGeneration generation;
    private volatile WriteProducer successor;

    private WriteProducer(Properties props, Properties settings, boolean replacement, RecordSizes sizes,
            ProducerWatch watch) {
        super(props);
        this.settings = settings;
        this.sizes = sizes;
        this.watch = watch;
        this.generation = new ProducerGeneration(props.getProperty(CommonClientConfigs.CLIENT_ID_CONFIG), super::send,
                replacement, sizes, watch.writeBound(deliveryTimeout()),
                watch.writeBound(millis(ProducerConfig.MAX_BLOCK_MS_CONFIG, 60_000)), System::nanoTime);
    }

    /**
     * A producer with {@code settings} and a client.id of its own, built with the application's class loader
     * ({@link RouterKafkaClientFactory#withApplicationClassLoader}).
     *
     * @param replacement whether it takes the place of one that stopped working
     */
    static WriteProducer make(Properties settings, boolean replacement, RecordSizes sizes, ProducerWatch watch) {
        Properties props = new Properties();
        props.putAll(settings);
        props.put(CommonClientConfigs.CLIENT_ID_CONFIG, CLIENT_ID_PREFIX + IDS.incrementAndGet());
        return RouterKafkaClientFactory.withApplicationClassLoader(
                () -> new WriteProducer(props, settings, replacement, sizes, watch));
    }

    /** A new producer with the same settings, to take the place of this one. */
    WriteProducer replacement() {
        return make(settings, true, sizes, watch);
    }

    @Override
    public Future<RecordMetadata> send(ProducerRecord<Object, Object> record, Callback callback) {
        Future<RecordMetadata> sent = generation.send(record, callback);
        if (sent != null) {
            return sent;
        }
        WriteProducer next = successor;
        if (next == null) {
            throw new WriteUnanswered("Kafka producer " + clientId() + " is closed: written again");
        }
        return next.send(record, callback); // it was retired as it was replaced: its successor takes the write
    }

    /** The step lets go of it (Camel stops the route): see {@link ProducerWatch#close}. */
    @Override
    public void close() {
        watch.close(this);
    }

    /** It is replaced by {@code next}: sends that still reach it go there, and those it did not answer fail. */
    void retire(String why, WriteProducer next) {
        successor = next;
        generation.retire(why);
    }

    /** The producer put in its place, or null. */
    WriteProducer successor() {
        return successor;
    }

    ProducerGeneration generation() {
        return generation;
    }

    String clientId() {
        return generation.clientId();
    }

    /** The producer's delivery.timeout.ms (Kafka's default, 2 minutes, unless set). */
    Duration deliveryTimeout() {
        return millis(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
    }

    /** A setting in milliseconds; Kafka's default unless set (max.block.ms: 1 minute; send() returns within it). */
    private Duration millis(String setting, long kafkaDefault) {
        Object value = settings.get(setting);
        return Duration.ofMillis(value == null ? kafkaDefault : Long.parseLong(value.toString()));
    }
}
