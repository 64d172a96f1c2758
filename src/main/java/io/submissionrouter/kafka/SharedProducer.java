package io.submissionrouter.kafka;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.metrics.KafkaMetric;

/**
 * The producer every {@code to: kafka:...} step with the same settings is handed ({@link SharedKafkaProducers}). It
 * writes through the Kafka producer in place now ({@link ProducerGeneration}), which {@link ProducerWatch} replaces when
 * it stops working; the steps keep this object. Transactions are not used by the routes (a transactional step gets a
 * producer of its own).
 */
final class SharedProducer implements Producer<Object, Object> {

    private final Properties key;
    private final Function<Boolean, ProducerGeneration> maker;
    private final Runnable release;
    /** A producer of these settings answers every send within this (delivery.timeout.ms), or has stopped working. */
    private final Duration deliveryTimeout;
    private volatile ProducerGeneration current;
    /** Why putting a new producer in place did not make writes work again; null while it did (liveness). */
    private volatile String beyondRepair;

    /**
     * @param maker makes a producer with these settings and a client.id of its own (true: it replaces a broken one)
     * @param release called when a step lets go of it
     */
    SharedProducer(Properties key, Function<Boolean, ProducerGeneration> maker, Runnable release) {
        this.key = key;
        this.maker = maker;
        this.release = release;
        this.deliveryTimeout = deliveryTimeout(key);
        this.current = maker.apply(false);
    }

    /** The producer's delivery.timeout.ms (Kafka's default, 2 minutes, unless set). */
    static Duration deliveryTimeout(Properties settings) {
        Object timeout = settings.get(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG);
        return Duration.ofMillis(timeout == null ? 120_000 : Long.parseLong(timeout.toString()));
    }

    /** The producer's max.block.ms (Kafka's default, 1 minute, unless set): send() returns within it. */
    static Duration maxBlock(Properties settings) {
        Object block = settings.get(ProducerConfig.MAX_BLOCK_MS_CONFIG);
        return Duration.ofMillis(block == null ? 60_000 : Long.parseLong(block.toString()));
    }

    Properties key() {
        return key;
    }

    ProducerGeneration current() {
        return current;
    }

    Duration deliveryTimeout() {
        return deliveryTimeout;
    }

    String beyondRepair() {
        return beyondRepair;
    }

    void beyondRepair(String why) {
        beyondRepair = why;
    }

    /** Puts a new producer in place of {@code broken}, unless that was done already; the one in place now. */
    synchronized ProducerGeneration replace(ProducerGeneration broken) {
        if (current == broken) {
            current = maker.apply(true);
        }
        return current;
    }

    @Override
    public Future<RecordMetadata> send(ProducerRecord<Object, Object> record) {
        return send(record, null);
    }

    @Override
    public Future<RecordMetadata> send(ProducerRecord<Object, Object> record, Callback callback) {
        ProducerGeneration g = current;
        try {
            return g.send(record, callback);
        } catch (IllegalStateException e) {
            if (g == current) {
                throw e;
            }
            return current.send(record, callback); // it was closed as it was replaced: its successor takes the write
        }
    }

    @Override
    public void flush() {
        current.producer().flush();
    }

    @Override
    public List<PartitionInfo> partitionsFor(String topic) {
        return current.producer().partitionsFor(topic);
    }

    @Override
    public Map<MetricName, ? extends Metric> metrics() {
        return current.producer().metrics();
    }

    @Override
    public Uuid clientInstanceId(Duration timeout) {
        return current.producer().clientInstanceId(timeout);
    }

    @Override
    public void registerMetricForSubscription(KafkaMetric metric) {
        current.producer().registerMetricForSubscription(metric);
    }

    @Override
    public void unregisterMetricFromSubscription(KafkaMetric metric) {
        current.producer().unregisterMetricFromSubscription(metric);
    }

    @Override
    public void close() {
        release.run();
    }

    @Override
    public void close(Duration timeout) {
        release.run();
    }

    @Override
    public void initTransactions() {
        throw new UnsupportedOperationException("a shared producer is not transactional");
    }

    @Override
    public void beginTransaction() {
        throw new UnsupportedOperationException("a shared producer is not transactional");
    }

    @Override
    public void sendOffsetsToTransaction(Map<TopicPartition, OffsetAndMetadata> offsets,
            ConsumerGroupMetadata groupMetadata) {
        throw new UnsupportedOperationException("a shared producer is not transactional");
    }

    @Override
    public void commitTransaction() {
        throw new UnsupportedOperationException("a shared producer is not transactional");
    }

    @Override
    public void abortTransaction() {
        throw new UnsupportedOperationException("a shared producer is not transactional");
    }
}
