package io.submissionrouter.ops;

import jakarta.enterprise.context.ApplicationScoped;
import org.apache.camel.CamelContext;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;

/** Liveness (CONTRACT 7): the process works; Camel has not failed or stopped behind its back. */
@Liveness
@ApplicationScoped
public class RouterLiveness implements HealthCheck {

    private final CamelContext camel;

    public RouterLiveness(CamelContext camel) {
        this.camel = camel;
    }

    @Override
    public HealthCheckResponse call() {
        boolean alive = !camel.getStatus().isStopped() && !camel.isVetoStarted();
        return HealthCheckResponse.named("camel").status(alive).withData("status", camel.getStatus().name()).build();
    }
}
