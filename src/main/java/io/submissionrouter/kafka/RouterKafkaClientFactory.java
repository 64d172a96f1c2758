package io.submissionrouter.kafka;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import java.util.Properties;
import java.util.function.Supplier;
import org.apache.camel.component.kafka.DefaultKafkaClientFactory;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.Producer;

/**
 * The Camel Kafka component's client factory ({@code camel.component.kafka.kafka-client-factory}). camel-kafka makes
 * one Kafka producer per {@code to: kafka:...} step, when the step starts; the routes have one such step, through which
 * every write goes ({@code kafka-send}, routes/results.yaml), so the records of concurrent jobs, whatever their topic,
 * travel in the same requests (with {@code linger-ms}) and one idempotent producer's sequence covers them all. Its
 * producer is a {@link WriteProducer}, watched and replaced when it stops working ({@link ProducerWatch}, CONTRACT
 * 9.5). Consumers are Camel's as usual.
 */
@ApplicationScoped
@Named("kafkaClientFactory")
public class RouterKafkaClientFactory extends DefaultKafkaClientFactory {

    private final ProducerWatch watch;
    private final RecordSizes sizes;

    public RouterKafkaClientFactory(ProducerWatch watch, RecordSizes sizes) {
        this.watch = watch;
        this.sizes = sizes;
    }

    @Override
    public Producer getProducer(Properties kafkaProps) {
        if (kafkaProps.containsKey("transactional.id")) {
            return super.getProducer(kafkaProps); // not used by the routes: a transaction is not tracked
        }
        Properties settings = new Properties();
        settings.putAll(kafkaProps);
        settings.remove(CommonClientConfigs.CLIENT_ID_CONFIG);
        WriteProducer producer = WriteProducer.make(settings, false, sizes, watch);
        watch.watch(producer);
        return producer;
    }

    @Override
    public Consumer getConsumer(Properties kafkaProps) {
        return withApplicationClassLoader(() -> super.getConsumer(kafkaProps));
    }

    /**
     * Builds a client with the application's class loader as the thread's context, so that classes named in settings
     * (interceptors, partitioners) resolve on any thread, in dev and test mode too.
     */
    static <T> T withApplicationClassLoader(Supplier<T> make) {
        Thread thread = Thread.currentThread();
        ClassLoader before = thread.getContextClassLoader();
        thread.setContextClassLoader(RouterKafkaClientFactory.class.getClassLoader());
        try {
            return make.get();
        } finally {
            thread.setContextClassLoader(before);
        }
    }
}
