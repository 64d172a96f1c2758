package io.submissionrouter.routing;

import io.submissionrouter.config.RelaySettings;
import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.job.JobProperties;
import io.submissionrouter.pass.Pass;
import io.submissionrouter.rate.GroupRates;
import io.submissionrouter.relay.Endpoint;
import io.submissionrouter.relay.SubmissionMetrics;
import io.submissionrouter.smtp.OutcomeClass;
import io.submissionrouter.smtp.SmtpOutcome;
import io.submissionrouter.smtp.SmtpSessionException;
import io.submissionrouter.smtp.SubmissionMessage;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import java.time.Instant;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.apache.camel.util.ObjectHelper;
import org.jboss.logging.Logger;

/**
 * Around the session of the submit route (routes/submission.yaml): hands camel-mail the job's message, then records
 * how the session ended, whether its receipt on the message (the server accepted the message) or the
 * {@link SmtpSessionException} the route caught: the endpoint's breaker and the metrics hear of it, and the pass
 * ({@link Pass#apply}) decides what comes next.
 */
@ApplicationScoped
@Named("sessionRecorder")
public class SessionRecorder {

    private static final Logger LOG = Logger.getLogger(SessionRecorder.class);

    private final SubmissionMetrics metrics;
    private final SubmissionConfig.Retry retry;
    private final GroupRates rates;

    public SessionRecorder(SubmissionMetrics metrics, SubmissionConfig config, GroupRates rates) {
        this.rates = rates;
        this.metrics = metrics;
        this.retry = config.retry();
    }

    /** The body camel-mail sends: the job's MIME message, addressed (its envelope) to the recipients still pending. */
    public SubmissionMessage message(@ExchangeProperty(JobProperties.PASS) Pass pass) {
        return pass.message();
    }

    /** The server accepted the message (2xx to the final dot; some recipients may have been refused at RCPT). */
    public void accepted(@ExchangeProperty(JobProperties.PASS) Pass pass,
            @ExchangeProperty(JobProperties.ENDPOINT) Endpoint endpoint, @Body SubmissionMessage message,
            Exchange exchange) {
        SmtpOutcome outcome = message.outcome();
        if (outcome == null) {
            throw new IllegalStateException("camel-mail returned without running a session");
        }
        message.outcome(null);
        record(pass, endpoint, outcome, exchange);
    }

    /** The server did not accept the message (caught by the submit route): how the session ended. */
    public void failed(@ExchangeProperty(JobProperties.PASS) Pass pass,
            @ExchangeProperty(JobProperties.ENDPOINT) Endpoint endpoint,
            @ExchangeProperty(Exchange.EXCEPTION_CAUGHT) Throwable caught, Exchange exchange) {
        SmtpSessionException failure = ObjectHelper.getException(SmtpSessionException.class, caught);
        if (failure == null) {
            throw new IllegalStateException("the submit route caught no SmtpSessionException", caught);
        }
        record(pass, endpoint, failure.outcome(), exchange);
    }

    /** The session settled the breaker's permission: ENDPOINT goes first, so it is never given back twice. */
    private void record(Pass pass, Endpoint endpoint, SmtpOutcome outcome, Exchange exchange) {
        exchange.removeProperty(JobProperties.ENDPOINT);
        endpoint.breaker().record(outcome);
        if (outcome.outcome() == OutcomeClass.THROTTLED) {
            rates.throttled(endpoint.relay()); // the group slows down; the breaker is not touched
        }
        metrics.attempt(endpoint.relay(), endpoint.name(), outcome.outcome(), outcome.durationMillis());
        if (outcome.outcome() == OutcomeClass.CONFIG_ERROR) {
            String prefix = endpoint.relay().equals(RelaySettings.DEFAULT_RELAY) ? "submission.smtp"
                    : "submission.relays." + endpoint.relay();
            LOG.errorf("AUTH refused or impossible with %s (%s:%d): %s. Check %s.username and %s.password (or their "
                    + "files), %s.oauth2.* and %s.auth-mechanisms; the endpoint's breaker stays open for growing "
                    + "periods until this is fixed", endpoint.spec().label(), endpoint.spec().host(),
                    endpoint.spec().port(), outcome.reply() == null ? outcome.detail() : outcome.reply().text(), prefix,
                    prefix, prefix, prefix);
        } else if (outcome.outcome().endpointFailed()) {
            LOG.warnf("endpoint %s (%s:%d) failed at %s for job %s: %s; trying the next endpoint",
                    endpoint.spec().label(), endpoint.spec().host(), endpoint.spec().port(),
                    outcome.step().wireName(), pass.jobId(),
                    outcome.reply() == null ? outcome.detail() : outcome.reply().text());
        }
        pass.apply(endpoint, outcome, retry.maxAttempts(), retry.resendUncertain(), Instant.now());
    }
}
