package io.submissionrouter.routing;

import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.job.JobProperties;
import io.submissionrouter.kafka.KafkaWrites;
import io.submissionrouter.pass.Pass;
import io.submissionrouter.rate.GroupRates;
import io.submissionrouter.relay.Endpoint;
import io.submissionrouter.relay.RelayGroups;
import io.submissionrouter.relay.SubmissionMetrics;
import io.submissionrouter.smtp.OutcomeClass;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import java.time.Instant;
import org.apache.camel.ExchangeProperty;

/**
 * The content-based router's decision: the job's relay group, then the first of its endpoints, in order,
 * not yet tried in this pass whose breaker grants permission. Asking is what lets an open breaker move
 * to half-open; an endpoint whose breaker refuses is skipped at once, without waiting on it.
 */
@ApplicationScoped
@Named("endpointSelector")
public class EndpointSelector {

    private final RelayGroups groups;
    private final SubmissionMetrics metrics;
    private final GroupRates rates;
    private final KafkaWrites writes;
    private final String completions;

    public EndpointSelector(RelayGroups groups, SubmissionMetrics metrics, GroupRates rates, KafkaWrites writes,
            SubmissionConfig config) {
        this.groups = groups;
        this.metrics = metrics;
        this.rates = rates;
        this.writes = writes;
        this.completions = config.topics().idempotency();
    }

    /**
     * Waits for the group's rate to allow one more message (CONTRACT 5.3 step 5), then chooses the endpoint whose
     * breaker grants a permission (the session settles it). A job whose permit would come later than
     * {@code submission.throttle.intake-wait} goes to its group's waiting topic, so the jobs behind it are not held up.
     * Null when none admits: {@link Pass#next()} then says where the job goes.
     */
    public Endpoint choose(@ExchangeProperty(JobProperties.PASS) Pass pass) {
        writes.holdUntilCompletionsCanBeWritten(completions); // a message accepted now could not be completed
        if (!rates.acquire(pass.relay())) {
            pass.rateLimited();
            metrics.rateLimited(pass.relay());
            return null;
        }
        Instant now = Instant.now();
        boolean outOfTime = false;
        for (Endpoint endpoint : groups.group(pass.relay())) {
            if (pass.wasTried(endpoint.name())) {
                continue;
            }
            if (!pass.hasTimeFor(endpoint.spec())) {
                outOfTime = true; // no session starts that the job's time would cut short (CONTRACT 9.1)
                continue;
            }
            if (endpoint.breaker().tryAcquirePermission()) {
                return endpoint;
            }
            if (pass.skipped(endpoint, now)) {
                metrics.attempt(endpoint.relay(), endpoint.name(), OutcomeClass.SKIPPED_OPEN, 0);
            }
        }
        if (outOfTime) {
            pass.outOfTime();
        } else {
            pass.noEndpointAdmits();
        }
        return null;
    }

    /**
     * Gives back a breaker's permission no session used (a failure between the choice and the session's end), so a
     * half-open breaker is never left without permissions to grant.
     */
    public void releaseUnused(@ExchangeProperty(JobProperties.ENDPOINT) Endpoint granted) {
        if (granted != null) {
            granted.breaker().release();
        }
    }
}
