package io.submissionrouter.routing;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.smtp.SmtpOutcome;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Probes half-open endpoints with a session that carries no message (EHLO, STARTTLS, AUTH, NOOP, QUIT),
 * so an endpoint comes back even while its group is idle or all its jobs are waiting (CONTRACT 5.3 step 2).
 * The probe takes the breaker's half-open permission like a job would; its outcome closes or reopens it.
 */
@ApplicationScoped
public class EndpointProber {

    private static final Logger LOG = Logger.getLogger(EndpointProber.class);

    private final RelayGroups groups;
    private final long intervalMillis;
    private ScheduledExecutorService scheduler;

    public EndpointProber(RelayGroups groups, SubmissionConfig config) {
        this.groups = groups;
        this.intervalMillis = config.breaker().probeInterval().toMillis();
    }

    void start(@Observes StartupEvent event) {
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "endpoint-prober");
            t.setDaemon(true);
            return t;
        });
        scheduler.scheduleWithFixedDelay(this::probeHalfOpen, intervalMillis, intervalMillis, TimeUnit.MILLISECONDS);
    }

    void stop(@Observes ShutdownEvent event) {
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
    }

    void probeHalfOpen() {
        for (SubmissionEndpoint endpoint : groups.all()) {
            try {
                if (endpoint.breaker().stateCode() == EndpointBreaker.HALF_OPEN
                        && endpoint.breaker().tryAcquirePermission()) {
                    SmtpOutcome outcome = endpoint.submitter().probe();
                    endpoint.breaker().record(outcome);
                    LOG.infof("probe of %s (%s:%d): %s%s", endpoint.spec().label(), endpoint.spec().host(),
                            endpoint.spec().port(), outcome.outcome().endpointFailed() ? "failed, " : "succeeded",
                            outcome.outcome().endpointFailed() ? outcome.detail() : "");
                }
            } catch (RuntimeException e) {
                LOG.warnf(e, "probe of %s could not run", endpoint.spec().label());
            }
        }
    }
}
