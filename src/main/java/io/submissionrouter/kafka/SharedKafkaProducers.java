package io.submissionrouter.kafka;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.camel.component.kafka.DefaultKafkaClientFactory;
import org.apache.camel.component.kafka.KafkaClientFactory;
import org.apache.camel.component.kafka.KafkaConfiguration;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.Producer;

/**
 * The Camel Kafka component's client factory ({@code camel.component.kafka.kafka-client-factory}): every
 * {@code to: kafka:...} of the routes with the same settings shares one Kafka producer, so the records of concurrent
 * jobs, whatever their topic, travel in the same requests (with {@code linger-ms}) over the same connections, and one
 * idempotent producer's sequence covers them all. camel-kafka makes a producer per {@code to} step and closes it
 * when the step stops; the shared one closes when the last step using it stops. Every send through it is tracked,
 * and a producer that stops working is replaced by a new one with the same settings ({@link ProducerWatch},
 * CONTRACT 9.5). Consumers are Camel's as usual.
 */
@ApplicationScoped
@Named("kafkaClientFactory")
public class SharedKafkaProducers implements KafkaClientFactory {

    static final String CLIENT_ID_PREFIX = "smtp-submission-router-producer-";

    private final DefaultKafkaClientFactory plain = new DefaultKafkaClientFactory();
    /** The open shared producers, by their settings (client.id aside), with how many steps use each. */
    private final Map<Properties, SharedProducer> producers = new HashMap<>();
    private final Map<SharedProducer, Integer> users = new HashMap<>();
    private final AtomicInteger ids = new AtomicInteger();
    private final ProducerWatch watch;
    private final RecordSizes sizes;

    public SharedKafkaProducers(ProducerWatch watch, RecordSizes sizes) {
        this.watch = watch;
        this.sizes = sizes;
    }

    @Override
    public synchronized Producer getProducer(Properties kafkaProps) {
        if (kafkaProps.containsKey("transactional.id")) {
            return plain.getProducer(kafkaProps); // a transaction needs a producer of its own
        }
        Properties key = new Properties();
        key.putAll(kafkaProps);
        key.remove(CommonClientConfigs.CLIENT_ID_CONFIG);
        SharedProducer shared = producers.get(key);
        if (shared == null) {
            SharedProducer[] made = new SharedProducer[1];
            shared = new SharedProducer(key, replacement -> make(key, replacement), () -> release(made[0]));
            made[0] = shared;
            producers.put(key, shared);
            watch.watch(shared);
        }
        users.merge(shared, 1, Integer::sum);
        return shared;
    }

    @Override
    public Consumer getConsumer(Properties kafkaProps) {
        return withApplicationClassLoader(() -> plain.getConsumer(kafkaProps));
    }

    @Override
    public String getBrokers(KafkaConfiguration configuration) {
        return plain.getBrokers(configuration);
    }

    /** Producers open now (one per distinct setting). */
    synchronized int open() {
        return producers.size();
    }

    /**
     * A Kafka producer with the shared settings and a client.id of its own ({@code smtp-submission-router-producer-N},
     * which names its network thread). Clients are built with the application's class loader as the thread's context,
     * so that classes named in settings (interceptors, partitioners) resolve on any thread (the watch's, Camel's), in
     * dev and test mode too, where Kafka's own class loader does not see the application's classes.
     */
    private ProducerGeneration make(Properties key, boolean replacement) {
        Properties props = new Properties();
        props.putAll(key);
        String clientId = CLIENT_ID_PREFIX + ids.incrementAndGet();
        props.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId);
        return new ProducerGeneration(clientId, withApplicationClassLoader(() -> plain.getProducer(props)),
                replacement, sizes, watch.writeBound(SharedProducer.deliveryTimeout(key)),
                watch.writeBound(SharedProducer.maxBlock(key)));
    }

    private static <T> T withApplicationClassLoader(Supplier<T> make) {
        Thread thread = Thread.currentThread();
        ClassLoader before = thread.getContextClassLoader();
        thread.setContextClassLoader(SharedKafkaProducers.class.getClassLoader());
        try {
            return make.get();
        } finally {
            thread.setContextClassLoader(before);
        }
    }

    /** A step let go of {@code shared}; the last one closes it, flushing what it holds if it still works. */
    private synchronized void release(SharedProducer shared) {
        if (users.merge(shared, -1, Integer::sum) > 0) {
            return;
        }
        users.remove(shared);
        producers.remove(shared.key());
        watch.unwatch(shared);
        watch.close(shared);
    }
}
