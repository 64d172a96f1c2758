package io.submissionrouter.relay;

import io.quarkus.runtime.ShutdownEvent;
import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.ops.WorkOnCamelPool;
import io.submissionrouter.smtp.SmtpOutcome;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import org.apache.camel.CamelContext;
import org.jboss.logging.Logger;

/**
 * Probes half-open endpoints with a session that carries no message (EHLO, STARTTLS, AUTH, NOOP, QUIT), taking the
 * breaker's half-open permission as a job would, so an endpoint comes back while its group is idle (CONTRACT 5.3
 * step 2). The route endpoint-prober (routes/periodic.yaml) runs a round every
 * {@code submission.breaker.probe-interval} on a Camel pool thread and waits for it unless the application stops: a
 * hanging server's probe may take minutes.
 */
@ApplicationScoped
@Named("endpointProber")
public class EndpointProber {

    private static final Logger LOG = Logger.getLogger(EndpointProber.class);

    private final RelayGroups groups;
    private final CamelContext camel;
    private volatile boolean stopped;
    /** Where the rounds run; guarded by this. */
    private ExecutorService rounds;

    public EndpointProber(RelayGroups groups, CamelContext camel) {
        this.groups = groups;
        this.camel = camel;
    }

    /** The probe interval for the route ({@code #bean:probeInterval}): Quarkus reads a bare number as seconds. */
    @Produces
    @Singleton
    @Named("probeInterval")
    static Duration probeInterval(SubmissionConfig config) {
        return config.breaker().probeInterval();
    }

    /** No probe starts after this; one under way is no longer waited for (it ends by itself). */
    void stop(@Observes ShutdownEvent event) {
        stopped = true;
        synchronized (this) {
            if (rounds != null) {
                camel.getExecutorServiceManager().shutdown(rounds); // never interrupts the probe in hand
            }
        }
    }

    /** One round of probes (the route endpoint-prober), waited for until it ends or the application stops. */
    public void probe() {
        Future<?> round;
        synchronized (this) {
            if (stopped) {
                return;
            }
            if (rounds == null) {
                rounds = camel.getExecutorServiceManager().newSingleThreadExecutor(this, "EndpointProber");
            }
            round = rounds.submit(this::probeHalfOpen);
        }
        Throwable failure = WorkOnCamelPool.await(round, () -> stopped);
        if (failure != null) {
            LOG.errorf(failure, "the probes could not run");
        }
    }

    /** Probes each half-open endpoint whose breaker lets the probe in; nothing once shutting down. */
    public void probeHalfOpen() {
        for (Endpoint endpoint : groups.all()) {
            if (stopped) {
                return;
            }
            try {
                if (endpoint.breaker().stateCode() == Breaker.HALF_OPEN
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
