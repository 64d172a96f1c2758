package io.submissionrouter.kafka;

import io.smallrye.health.api.HealthGroup;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;

/**
 * The {@code kafka-writes} health group ({@code /q/health/group/kafka-writes}): DOWN while Kafka refuses the
 * router's records on some topic, naming each with since when and why (and the one record, when the refusal is that
 * record's), and while the producer does not answer the router's writes ({@code producer}, see
 * {@link KafkaProducerReadiness}). Refusals are not part of readiness: the router holds the jobs concerned, and
 * restarting it would not make the topic take them. Addition.
 */
@HealthGroup("kafka-writes")
@ApplicationScoped
public class KafkaWritesHealth implements HealthCheck {

    private final KafkaWrites writes;
    private final ProducerWatch producers;

    public KafkaWritesHealth(KafkaWrites writes, ProducerWatch producers) {
        this.writes = writes;
        this.producers = producers;
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder builder = HealthCheckResponse.named("kafka-writes");
        var refusing = writes.refusing();
        refusing.forEach((topic, r) -> builder.withData(topic, r.kind() + " since " + r.since() + ": "
                + (r.record() == null ? "" : "one record, of job " + r.record() + ": ") + r.reason()));
        String unanswered = producers.unanswered();
        if (unanswered != null) {
            builder.withData("producer", unanswered);
        }
        return builder.status(refusing.isEmpty() && unanswered == null).build();
    }
}
