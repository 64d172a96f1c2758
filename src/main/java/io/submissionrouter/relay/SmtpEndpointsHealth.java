package io.submissionrouter.relay;

import io.smallrye.health.api.HealthGroup;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;

/**
 * The {@code smtp} health group ({@code /q/health/group/smtp}): every endpoint with its breaker state.
 * UP while every relay group has an endpoint whose breaker is not open. Not part of readiness.
 */
@HealthGroup("smtp")
@ApplicationScoped
public class SmtpEndpointsHealth implements HealthCheck {

    private final RelayGroups groups;

    public SmtpEndpointsHealth(RelayGroups groups) {
        this.groups = groups;
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder builder = HealthCheckResponse.named("smtp-endpoints");
        boolean up = true;
        for (String relay : groups.names()) {
            for (Endpoint e : groups.group(relay)) {
                builder.withData(relay + "." + e.name(), e.spec().host() + ":" + e.spec().port() + " "
                        + e.breaker().stateName());
            }
            up &= groups.mayAdmit(relay);
        }
        return builder.status(up).build();
    }
}
