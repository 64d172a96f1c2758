package io.submissionrouter.ops;

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
 * Readiness (CONTRACT 7): the router is started, its Kafka consumer is polling and the cluster answers
 * ({@link KafkaReachability}). SMTP plays no part: a provider outage must not take every replica out of service.
 */
@Readiness
@ApplicationScoped
public class KafkaConsumerReadiness implements HealthCheck {

    static final String INTAKE_ROUTE = "intake";

    private final CamelContext camel;
    private final KafkaReachability kafka;

    public KafkaConsumerReadiness(CamelContext camel, KafkaReachability kafka) {
        this.camel = camel;
        this.kafka = kafka;
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder builder = HealthCheckResponse.named("kafka-consumer");
        Route route = camel.getRoute(INTAKE_ROUTE);
        ServiceStatus status = camel.getRouteController().getRouteStatus(INTAKE_ROUTE);
        if (route == null || status != ServiceStatus.Started || !(route.getConsumer() instanceof KafkaConsumer consumer)) {
            return builder.down().withData("route", String.valueOf(status)).build();
        }
        boolean reachable = kafka.reachable();
        boolean ready = !consumer.healthStates().isEmpty() && reachable;
        builder.withData("kafka", reachable ? "answers" : "unreachable: " + kafka.lastError());
        for (TaskHealthState state : consumer.healthStates()) {
            ready &= state.isReady();
            builder.withData(state.getClientId() == null ? "consumer" : state.getClientId(), state.buildStateMessage());
        }
        return builder.status(ready).build();
    }
}
