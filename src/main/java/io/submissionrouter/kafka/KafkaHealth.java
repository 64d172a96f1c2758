package io.submissionrouter.kafka;

import io.smallrye.common.annotation.Identifier;
import io.smallrye.health.api.HealthGroup;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.ServiceStatus;
import org.apache.camel.component.kafka.KafkaConsumer;
import org.apache.camel.component.kafka.TaskHealthState;
import org.apache.kafka.clients.CommonClientConfigs;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;

/**
 * The router's Kafka health checks (CONTRACT 7, 9.5) and the settings of Quarkus' own Kafka readiness check. SMTP plays
 * no part in readiness: a provider outage must not take every replica out of service.
 */
@Singleton
public class KafkaHealth {

    static final String INTAKE_ROUTE = "intake";
    static final Duration ANSWER_WITHIN = Duration.ofSeconds(2);

    /**
     * The settings of Quarkus' Kafka readiness check (quarkus-kafka-client's {@code KafkaHealthCheck}, on with
     * {@code quarkus.kafka.health.enabled}), which asks the cluster to describe itself at every readiness request: the
     * brokers and security of the Camel Kafka component, the router's one set of Kafka settings (README, "Kafka
     * security"). The check has no timeout of its own: the admin client's bound it to {@link #ANSWER_WITHIN}, so a
     * probe of a cluster that does not answer ends DOWN then, not after the client's default minute. Made at the
     * check's first question; before Camel has started the question fails (readiness DOWN, the intake has not started
     * either) and the next one asks again.
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

    /**
     * Readiness {@code kafka-consumer}: the router is started and its Kafka consumer is polling. Whether the cluster
     * answers is Quarkus' check ({@link #adminSettings}), as a consumer whose brokers are gone keeps polling silently.
     */
    @Produces
    @Singleton
    @Readiness
    HealthCheck consumerReadiness(CamelContext camel) {
        return () -> {
            HealthCheckResponseBuilder builder = HealthCheckResponse.named("kafka-consumer");
            Route route = camel.getRoute(INTAKE_ROUTE);
            ServiceStatus status = camel.getRouteController().getRouteStatus(INTAKE_ROUTE);
            if (route == null || status != ServiceStatus.Started
                    || !(route.getConsumer() instanceof KafkaConsumer consumer)) {
                return builder.down().withData("route", String.valueOf(status)).build();
            }
            boolean ready = !consumer.healthStates().isEmpty();
            int n = 0;
            for (TaskHealthState state : consumer.healthStates()) {
                boolean working = working(state);
                ready &= working;
                String id = state.getClientId();
                // one entry per consumer: Camel leaves the client id empty unless it is configured
                builder.withData(id == null || id.isBlank() ? "consumer-" + n : id,
                        working ? "polling" : state.buildStateMessage());
                n++;
            }
            return builder.status(ready).build();
        };
    }

    /**
     * A consumer works unless it gave up or its last poll failed. Camel's own readiness also wants a broker
     * connection ready for fetching, which a consumer without partitions (more consumers than partitions, in a pod or
     * across replicas) does not keep: it is idle, not ill, and the cluster's answer is Quarkus' check.
     */
    static boolean working(TaskHealthState state) {
        return state.isReady() || !state.isTerminated() && state.getLastError() == null;
    }

    /**
     * Readiness {@code kafka-producer}: DOWN while the router's Kafka writes go unanswered ({@link
     * ProducerWatch#unanswered()}); no new SMTP session starts meanwhile. Writes Kafka refuses are the health group
     * {@code kafka-writes}'s.
     */
    @Produces
    @Singleton
    @Readiness
    HealthCheck producerReadiness(ProducerWatch producers) {
        return () -> {
            String unanswered = producers.unanswered();
            return HealthCheckResponse.named("kafka-producer").status(unanswered == null)
                    .withData("writes", unanswered == null ? "answered" : unanswered).build();
        };
    }

    /**
     * Liveness {@code kafka-producer}: DOWN when replacing a producer that stopped working did not help ({@link
     * ProducerWatch#beyondRepair()}), so that Kubernetes restarts the pod. Kafka refusing records, or unreachable (the
     * producer answers with errors), never takes liveness DOWN: a restart would not help.
     */
    @Produces
    @Singleton
    @Liveness
    HealthCheck producerLiveness(ProducerWatch producers) {
        return () -> {
            String beyondRepair = producers.beyondRepair();
            return HealthCheckResponse.named("kafka-producer").status(beyondRepair == null)
                    .withData("producer", beyondRepair == null ? "works, or was replaced" : beyondRepair).build();
        };
    }

    /**
     * The {@code kafka-writes} health group ({@code /q/health/group/kafka-writes}), an addition: DOWN while Kafka
     * refuses the router's records on some topic, naming each with since when and why (and the one record, when the
     * refusal is that record's), and while the producer does not answer ({@code producer}). Refusals are not part of
     * readiness: the router holds the jobs concerned, and restarting it would not make the topic take them.
     */
    @Produces
    @Singleton
    @HealthGroup("kafka-writes")
    HealthCheck writesHealth(KafkaWrites writes, ProducerWatch producers) {
        return () -> {
            HealthCheckResponseBuilder builder = HealthCheckResponse.named("kafka-writes");
            var refusing = writes.refusing();
            refusing.forEach((topic, r) -> builder.withData(topic, r.kind() + " since " + r.since() + ": "
                    + (r.record() == null ? "" : "one record, of job " + r.record() + ": ") + r.reason()));
            String unanswered = producers.unanswered();
            if (unanswered != null) {
                builder.withData("producer", unanswered);
            }
            return builder.status(refusing.isEmpty() && unanswered == null).build();
        };
    }
}
