package io.submissionrouter.kafka;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Readiness (CONTRACT 9.5): DOWN while the router's Kafka writes go unanswered (a write neither acknowledged nor
 * refused for {@code submission.kafka.ack-timeout}, a producer whose network thread died, or a new producer that has
 * not answered yet). No new SMTP session starts meanwhile. Writes Kafka refuses (it answers, with an error) are not
 * part of it: see the health group {@code kafka-writes}.
 */
@Readiness
@ApplicationScoped
public class KafkaProducerReadiness implements HealthCheck {

    private final ProducerWatch producers;

    public KafkaProducerReadiness(ProducerWatch producers) {
        this.producers = producers;
    }

    @Override
    public HealthCheckResponse call() {
        String unanswered = producers.unanswered();
        return HealthCheckResponse.named("kafka-producer").status(unanswered == null)
                .withData("writes", unanswered == null ? "answered" : unanswered).build();
    }
}
