package io.submissionrouter.kafka;

import jakarta.enterprise.context.ApplicationScoped;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.ServiceStatus;
import org.apache.camel.component.kafka.KafkaConsumer;
import org.apache.camel.component.kafka.TaskHealthState;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Readiness (CONTRACT 7): the router is started and its Kafka consumer is polling. Whether the cluster answers is
 * Quarkus' own readiness check ({@code Kafka connection health check}, with the Camel Kafka component's settings:
 * {@code KafkaHealthSettings}), as a consumer whose brokers are gone keeps polling without a word. SMTP plays no part:
 * a provider outage must not take every replica out of service.
 */
@Readiness
@ApplicationScoped
public class KafkaConsumerReadiness implements HealthCheck {

    static final String INTAKE_ROUTE = "intake";

    private final CamelContext camel;

    public KafkaConsumerReadiness(CamelContext camel) {
        this.camel = camel;
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder builder = HealthCheckResponse.named("kafka-consumer");
        Route route = camel.getRoute(INTAKE_ROUTE);
        ServiceStatus status = camel.getRouteController().getRouteStatus(INTAKE_ROUTE);
        if (route == null || status != ServiceStatus.Started || !(route.getConsumer() instanceof KafkaConsumer consumer)) {
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
    }

    /**
     * A consumer works unless it gave up or its last poll failed. Camel's own readiness also wants a broker
     * connection ready for fetching, which a consumer without partitions (more consumers than partitions, in a pod or
     * across replicas) does not keep: it is idle, not ill, and the cluster's answer is Quarkus' check.
     */
    static boolean working(TaskHealthState state) {
        return state.isReady() || !state.isTerminated() && state.getLastError() == null;
    }
}
