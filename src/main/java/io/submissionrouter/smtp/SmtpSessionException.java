package io.submissionrouter.smtp;

import io.submissionrouter.config.SessionSettings;
import jakarta.mail.MessagingException;

/**
 * An SMTP session in which the server did not accept the message (no 2xx to the final dot): the endpoint was down or
 * refused AUTH, the server answered 4xx or 5xx (to MAIL, a RCPT, DATA or the final dot), throttled the sender, or the
 * connection was lost after the dot ({@link OutcomeClass#UNCERTAIN}). Thrown by the endpoint's camel-mail sender, so
 * the exchange fails where Camel sees it (its counters, tracing, error handling); the submit route
 * (routes/submission.yaml) catches it and records {@link #outcome()}, classified (CONTRACT 5.2), with the endpoint's
 * breaker. Recipients the server refused at RCPT before that are in the outcome too. A session whose message was
 * accepted for some recipients and refused at RCPT for others is not one of these: its outcome is {@code sent}.
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
