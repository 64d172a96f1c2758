package io.submissionrouter.ops;

import io.smallrye.health.api.HealthGroup;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;

/**
 * The {@code kafka-writes} health group ({@code /q/health/group/kafka-writes}): DOWN while Kafka refuses the
 * router's records on some topic, naming each with since when and why. Not part of readiness: the router holds
 * the jobs concerned, and restarting it would not make the topic take them. Addition.
 */
@HealthGroup("kafka-writes")
@ApplicationScoped
public class KafkaWritesHealth implements HealthCheck {

    private final KafkaWrites writes;

    public KafkaWritesHealth(KafkaWrites writes) {
        this.writes = writes;
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder builder = HealthCheckResponse.named("kafka-writes");
        writes.refusing().forEach((topic, r) -> builder.withData(topic, r.kind() + " since " + r.since() + ": "
                + r.reason()));
        return builder.status(writes.refusing().isEmpty()).build();
    }
}
