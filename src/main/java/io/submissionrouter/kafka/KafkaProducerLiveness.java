package io.submissionrouter.kafka;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;

/**
 * Liveness (CONTRACT 9.5): DOWN when the process cannot make its Kafka writes work again by itself: a producer put in
 * place of one that stopped working stopped working too before it answered a write (or none could be made), so that
 * Kubernetes restarts the pod. A producer that stopped working once is replaced, liveness staying UP; Kafka refusing
 * records, or unreachable (the producer answers with errors), never takes liveness DOWN: a restart would not help.
 */
@Liveness
@ApplicationScoped
public class KafkaProducerLiveness implements HealthCheck {

    private final ProducerWatch producers;

    public KafkaProducerLiveness(ProducerWatch producers) {
        this.producers = producers;
    }

    @Override
    public HealthCheckResponse call() {
        String beyondRepair = producers.beyondRepair();
        return HealthCheckResponse.named("kafka-producer").status(beyondRepair == null)
                .withData("producer", beyondRepair == null ? "works, or was replaced" : beyondRepair).build();
    }
}
