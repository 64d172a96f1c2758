package io.submissionrouter.smtp;

import java.util.List;

/**
 * How one SMTP session with one endpoint ended, classified once ({@link SmtpReplyClassifier}).
 *
 * @param reply     the reply that decided the outcome, or null when none came
 * @param accepted  recipients the server accepted (only meaningful when {@code outcome} is SENT)
 * @param rejected  recipients refused permanently (5xx)
 * @param deferred  recipients refused for now (4xx), to be retried
 * @param detail    a short description of what failed, without credentials or message content
 */
public record SmtpOutcome(
        OutcomeClass outcome,
        SmtpStep step,
        SmtpReply reply,
        List<String> accepted,
        List<RecipientReply> rejected,
        List<RecipientReply> deferred,
        long durationMillis,
        String detail) {

    /**
     * The server does not offer an extension the message needs (SMTPUTF8): the session ended after EHLO,
     * nothing was sent. The only REJECTED outcome at session setup; the job cannot be sent as it is.
     */
    public static SmtpOutcome lacksExtension(String detail, long durationMillis) {
        return new SmtpOutcome(OutcomeClass.REJECTED, SmtpStep.EHLO, null, List.of(), List.of(), List.of(),
                durationMillis, detail);
    }

    /** See {@link #lacksExtension}. */
    public boolean lackedExtension() {
        return outcome == OutcomeClass.REJECTED && step != null && step.isSessionSetup();
    }

    public static SmtpOutcome skipped() {
        return new SmtpOutcome(OutcomeClass.SKIPPED_OPEN, null, null, List.of(), List.of(), List.of(), 0,
                "circuit breaker open");
    }
}
