package io.submissionrouter.kafka;

import java.util.Properties;
import org.apache.camel.CamelContext;
import org.apache.camel.component.kafka.KafkaComponent;
import org.apache.camel.component.kafka.KafkaConfiguration;
import org.apache.kafka.clients.CommonClientConfigs;

/**
 * Settings for the Kafka clients the router runs beside Camel's (idempotency tail, topics at start-up, dlq replay,
 * the readiness check of Quarkus): the brokers and security of the Camel Kafka component, so one set of settings
 * covers all.
 * The router writes only through Camel's producer (routes/results.yaml, kafka-send).
 */
public final class KafkaClients {

    private KafkaClients() {
    }

    /** Consumer settings: brokers, security, and the component's consumer options. */
    public static Properties consumer(CamelContext camel) {
        KafkaConfiguration kafka = camel.getComponent("kafka", KafkaComponent.class).getConfiguration();
        Properties p = kafka.createConsumerProperties();
        p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, kafka.getBrokers());
        return p;
    }
}
