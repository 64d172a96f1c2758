package io.submissionrouter.smtp;

import io.submissionrouter.config.SessionSettings;
import jakarta.mail.MessagingException;

/**
 * An SMTP session in which the server did not accept the message (no 2xx to the final dot), with its classified
 * {@link #outcome()} (CONTRACT 5.2), recipients refused at RCPT included. Thrown by the endpoint's camel-mail sender
 * so the exchange fails where Camel sees it (counters, tracing, error handling); the submit route
 * (routes/submission.yaml) catches it and records the outcome with the endpoint's breaker.
 */
public final class SmtpSessionException extends MessagingException {

    private static final long serialVersionUID = 1L;

    private final transient SmtpOutcome outcome;

    public SmtpSessionException(SessionSettings endpoint, SmtpOutcome outcome) {
        super(endpoint.label() + " (" + endpoint.host() + ":" + endpoint.port() + "): " + outcome.outcome().wireName()
                + (outcome.step() == null ? "" : " at " + outcome.step().wireName()) + ": "
                + (outcome.reply() == null ? outcome.detail() : outcome.reply().text()));
        this.outcome = outcome;
    }

    /** How the session ended, classified. */
    public SmtpOutcome outcome() {
        return outcome;
    }

    /** The outcome says it all; no stack trace is taken (one per failed session would cost for nothing). */
    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
