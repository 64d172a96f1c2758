package io.submissionrouter.kafka;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import org.apache.camel.component.kafka.DefaultKafkaClientFactory;
import org.apache.camel.component.kafka.KafkaClientFactory;
import org.apache.camel.component.kafka.KafkaConfiguration;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.metrics.KafkaMetric;

/**
 * The Camel Kafka component's client factory ({@code camel.component.kafka.kafka-client-factory}): every
 * {@code to: kafka:...} of the routes with the same settings shares one Kafka producer, so the records of concurrent
 * jobs, whatever their topic, travel in the same requests (with {@code linger-ms}) over the same connections, and one
 * idempotent producer's sequence covers them all. camel-kafka makes a producer per {@code to} step and closes it
 * when the step stops; the shared one closes when the last step using it stops. Consumers are Camel's as usual.
 */
@ApplicationScoped
@Named("kafkaClientFactory")
public class SharedKafkaProducers implements KafkaClientFactory {

    private final DefaultKafkaClientFactory plain = new DefaultKafkaClientFactory();
    /** The open shared producers, by their settings (client.id aside). */
    private final Map<Properties, Shared> producers = new HashMap<>();

    @Override
    public synchronized Producer getProducer(Properties kafkaProps) {
        if (kafkaProps.containsKey("transactional.id")) {
            return plain.getProducer(kafkaProps); // a transaction needs a producer of its own
        }
        Properties key = new Properties();
        key.putAll(kafkaProps);
        key.remove(CommonClientConfigs.CLIENT_ID_CONFIG);
        Shared shared = producers.get(key);
        if (shared == null) {
            Properties props = new Properties();
            props.putAll(key);
            props.put(CommonClientConfigs.CLIENT_ID_CONFIG, "smtp-submission-router-producer-" + (producers.size() + 1));
            shared = new Shared(key, plain.getProducer(props));
            producers.put(key, shared);
        }
        shared.users++;
        return shared;
    }

    @Override
    public Consumer getConsumer(Properties kafkaProps) {
        return plain.getConsumer(kafkaProps);
    }

    @Override
    public String getBrokers(KafkaConfiguration configuration) {
        return plain.getBrokers(configuration);
    }

    /** Producers open now (one per distinct setting). */
    synchronized int open() {
        return producers.size();
    }

    /** The last user of {@code shared} let it go: it closes, flushing what it holds. */
    private synchronized boolean release(Shared shared) {
        if (--shared.users > 0) {
            return false;
        }
        producers.remove(shared.key);
        return true;
    }

    /** One producer, handed to every step with its settings; {@link #close()} lets go of it. */
    final class Shared implements Producer<Object, Object> {
        private final Properties key;
        private final Producer<Object, Object> delegate;
        private int users;

        @SuppressWarnings("unchecked")
        Shared(Properties key, Producer<?, ?> delegate) {
            this.key = key;
            this.delegate = (Producer<Object, Object>) delegate;
        }

        @Override
        public Future<RecordMetadata> send(ProducerRecord<Object, Object> record) {
            return delegate.send(record);
        }

        @Override
        public Future<RecordMetadata> send(ProducerRecord<Object, Object> record, Callback callback) {
            return delegate.send(record, callback);
        }

        @Override
        public void flush() {
            delegate.flush();
        }

        @Override
        public List<PartitionInfo> partitionsFor(String topic) {
            return delegate.partitionsFor(topic);
        }

        @Override
        public Map<MetricName, ? extends Metric> metrics() {
            return delegate.metrics();
        }

        @Override
        public Uuid clientInstanceId(Duration timeout) {
            return delegate.clientInstanceId(timeout);
        }

        @Override
        public void registerMetricForSubscription(KafkaMetric metric) {
            delegate.registerMetricForSubscription(metric);
        }

        @Override
        public void unregisterMetricFromSubscription(KafkaMetric metric) {
            delegate.unregisterMetricFromSubscription(metric);
        }

        @Override
        public void close() {
            if (release(this)) {
                delegate.close();
            }
        }

        @Override
        public void close(Duration timeout) {
            if (release(this)) {
                delegate.close(timeout);
            }
        }

        // Transactions are not used by the router's routes (a transactional step would need a producer of its own).

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
}
