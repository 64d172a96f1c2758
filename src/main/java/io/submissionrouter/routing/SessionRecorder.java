package io.submissionrouter.routing;

import io.submissionrouter.config.EndpointSpecs;
import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.ops.SubmissionMetrics;
import io.submissionrouter.rate.GroupRates;
import io.submissionrouter.smtp.OutcomeClass;
import io.submissionrouter.smtp.SmtpOutcome;
import io.submissionrouter.smtp.SubmissionMessage;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import java.time.Instant;
import org.apache.camel.Exchange;
import org.jboss.logging.Logger;

/**
 * After camel-mail ran a session: feeds its classified outcome to the endpoint's breaker and the metrics,
 * and lets the {@link Delivery} decide what comes next (exchange property {@code next}).
 */
@ApplicationScoped
@Named("sessionRecorder")
public class SessionRecorder {

    private static final Logger LOG = Logger.getLogger(SessionRecorder.class);

    private final RelayGroups groups;
    private final SubmissionMetrics metrics;
    private final SubmissionConfig.Retry retry;
    private final GroupRates rates;

    public SessionRecorder(RelayGroups groups, SubmissionMetrics metrics, SubmissionConfig config, GroupRates rates) {
        this.groups = groups;
        this.rates = rates;
        this.metrics = metrics;
        this.retry = config.retry();
    }

    /**
     * The body camel-mail sends: the job's MIME message, addressed to the recipients still pending and to the
     * endpoint the selector chose (of the job's relay group).
     */
    public SubmissionMessage message(Exchange exchange) {
        Delivery delivery = exchange.getProperty(Delivery.PROPERTY, Delivery.class);
        SubmissionMessage message = delivery.message();
        message.target(groups.endpoint(delivery.relay(), exchange.getProperty(EndpointSelector.ENDPOINT, String.class))
                .submitter());
        return message;
    }

    public void record(Exchange exchange) {
        Delivery delivery = exchange.getProperty(Delivery.PROPERTY, Delivery.class);
        SubmissionEndpoint endpoint = groups.endpoint(delivery.relay(),
                exchange.getProperty(EndpointSelector.ENDPOINT, String.class));
        SubmissionMessage message = delivery.message();
        SmtpOutcome outcome = message.outcome();
        if (outcome == null) {
            throw new IllegalStateException("camel-mail returned without running a session");
        }
        message.outcome(null);
        exchange.removeProperty(EndpointSelector.PERMIT); // the session used it: its outcome settles it
        endpoint.breaker().record(outcome);
        if (outcome.outcome() == OutcomeClass.THROTTLED) {
            rates.throttled(endpoint.relay()); // the group slows down; the breaker is not touched
        }
        metrics.attempt(endpoint.relay(), endpoint.name(), outcome.outcome(), outcome.durationMillis());
        if (outcome.outcome() == OutcomeClass.CONFIG_ERROR) {
            String prefix = endpoint.relay().equals(EndpointSpecs.DEFAULT_RELAY) ? "submission.smtp" : "submission.relays." + endpoint.relay();
            LOG.errorf("AUTH refused by %s (%s:%d): %s. Check %s.username and %s.password (or their files), or "
                    + "%s.oauth2.*; the endpoint's breaker stays open for growing periods until this is fixed",
                    endpoint.spec().label(), endpoint.spec().host(), endpoint.spec().port(),
                    outcome.reply() == null ? outcome.detail() : outcome.reply().text(), prefix, prefix, prefix);
        } else if (outcome.outcome().endpointFailed()) {
            LOG.warnf("endpoint %s (%s:%d) failed at %s for job %s: %s; trying the next endpoint",
                    endpoint.spec().label(), endpoint.spec().host(), endpoint.spec().port(),
                    outcome.step().wireName(), delivery.jobId(),
                    outcome.reply() == null ? outcome.detail() : outcome.reply().text());
        }
        delivery.apply(endpoint, outcome, retry.maxAttempts(), retry.resendUncertain(), Instant.now());
        exchange.setProperty(EndpointSelector.NEXT, delivery.next().wireName());
    }
}
