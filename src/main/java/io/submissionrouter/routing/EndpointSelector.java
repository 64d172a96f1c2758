package io.submissionrouter.routing;

import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.ops.KafkaWrites;
import io.submissionrouter.ops.SubmissionMetrics;
import io.submissionrouter.rate.GroupRates;
import io.submissionrouter.smtp.OutcomeClass;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import java.time.Instant;
import org.apache.camel.Exchange;

/**
 * The content-based router's decision: the job's relay group, then the first of its endpoints, in order,
 * not yet tried in this pass whose breaker grants permission. Asking is what lets an open breaker move
 * to half-open; an endpoint whose breaker refuses is skipped at once, without waiting on it.
 */
@ApplicationScoped
@Named("endpointSelector")
public class EndpointSelector {

    /** Exchange property naming the chosen endpoint, or {@value #NONE}. */
    public static final String ENDPOINT = "endpoint";
    public static final String NONE = "none";
    /** Exchange property mirroring {@link Delivery#next()} for the routes. */
    public static final String NEXT = "next";
    /** Exchange property: the endpoint whose breaker granted a permission no session has used yet. */
    public static final String PERMIT = "breakerPermit";

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
     * Waits for the group's rate to allow one more message (CONTRACT 5.3 step 5), then chooses. A job whose
     * permit would come later than {@code submission.throttle.intake-wait} goes to its group's waiting topic, so
     * the jobs behind it on the partition are not held up; it comes back at the group's pace.
     */
    public void choose(Exchange exchange) {
        Delivery delivery = exchange.getProperty(Delivery.PROPERTY, Delivery.class);
        writes.holdWhileRefusing(completions); // a message accepted now could not be completed
        if (rates.acquire(delivery.relay())) {
            String chosen = choose(delivery, Instant.now());
            exchange.setProperty(ENDPOINT, chosen);
            if (!NONE.equals(chosen)) {
                exchange.setProperty(PERMIT, groups.endpoint(delivery.relay(), chosen));
            }
        } else {
            delivery.rateLimited();
            metrics.rateLimited(delivery.relay());
            exchange.setProperty(ENDPOINT, NONE);
        }
        exchange.setProperty(NEXT, delivery.next().wireName());
    }

    /**
     * Gives back a breaker's permission that no session used: the job met a failure between the choice and the
     * session's end (the deliver route calls this however it ends), so a half-open breaker is never left
     * without permissions to grant.
     */
    public void releaseUnused(Exchange exchange) {
        SubmissionEndpoint granted = exchange.getProperty(PERMIT, SubmissionEndpoint.class);
        if (granted != null) {
            exchange.removeProperty(PERMIT);
            granted.breaker().release();
        }
    }

    String choose(Delivery delivery, Instant now) {
        for (SubmissionEndpoint endpoint : groups.group(delivery.relay())) {
            if (delivery.wasTried(endpoint.name())) {
                continue;
            }
            if (endpoint.breaker().tryAcquirePermission()) {
                return endpoint.name();
            }
            if (delivery.skipped(endpoint, now)) {
                metrics.attempt(endpoint.relay(), endpoint.name(), OutcomeClass.SKIPPED_OPEN, 0);
            }
        }
        delivery.noEndpointAdmits();
        return NONE;
    }
}
