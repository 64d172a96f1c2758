package io.submissionrouter.kafka;

import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.camel.CamelContext;
import org.apache.kafka.clients.CommonClientConfigs;

/**
 * The settings of Quarkus' Kafka readiness check (quarkus-kafka-client's {@code KafkaHealthCheck}, on with
 * {@code quarkus.kafka.health.enabled}): it asks the cluster to describe itself at every readiness request, through an
 * admin client made from the {@code default-kafka-broker} settings. Those are the {@code kafka.*} properties by default;
 * here they are the brokers and security of the Camel Kafka component, the router's one set of Kafka settings
 * (README, "Kafka security"). The check waits for the answer without a timeout of its own: the admin client's
 * timeouts bound it to {@link #ANSWER_WITHIN}, so a probe of a cluster that does not answer ends DOWN then, not after
 * the client's default minute.
 */
@Singleton
public class KafkaHealthSettings {

    static final Duration ANSWER_WITHIN = Duration.ofSeconds(2);

    /**
     * Made at the check's first question (Quarkus' admin client keeps them). Before Camel has started its Kafka
     * component has no settings yet: the question then fails (readiness DOWN, as the intake has not started either)
     * and the next one asks again.
     */
    @Produces
    @Singleton
    @Identifier("default-kafka-broker")
    Map<String, Object> adminSettings(CamelContext camel) {
        if (!camel.getStatus().isStarted()) {
            throw new IllegalStateException("Camel has not started yet");
        }
        Properties all = KafkaClients.consumer(camel);
        Map<String, Object> admin = new HashMap<>();
        all.stringPropertyNames().stream()
                .filter(k -> k.equals(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG) || k.startsWith("security.")
                        || k.startsWith("ssl.") || k.startsWith("sasl."))
                .forEach(k -> admin.put(k, all.get(k)));
        admin.put(CommonClientConfigs.CLIENT_ID_CONFIG, "smtp-submission-router-health");
        admin.put(CommonClientConfigs.REQUEST_TIMEOUT_MS_CONFIG, (int) ANSWER_WITHIN.toMillis());
        admin.put(CommonClientConfigs.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) ANSWER_WITHIN.toMillis());
        return admin;
    }
}
