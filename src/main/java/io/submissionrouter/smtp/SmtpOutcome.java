package io.submissionrouter.smtp;

import java.util.List;

/**
 * How one SMTP session with one endpoint ended, classified once ({@link SmtpReplyClassifier}).
 *
 * @param reply     the reply that decided the outcome, or null when none came
 * @param accepted  recipients the server accepted (only meaningful when {@code outcome} is SENT)
 * @param rejected  recipients refused permanently (5xx)
 * @param deferred  every other recipient of the session: still pending, with the last reply it got (a 4xx to its
 *                  RCPT, the message's reply, or none)
 * @param detail    a short description of what failed, without credentials or message content
 * @param local     the endpoint had no part in it: no session of this pod's pool came free in time (the job goes on
 *                  as after {@code endpoint_down}, but the endpoint's breaker does not count it)
 */
public record SmtpOutcome(
        OutcomeClass outcome,
        SmtpStep step,
        SmtpReply reply,
        List<String> accepted,
        List<RecipientReply> rejected,
        List<RecipientReply> deferred,
        long durationMillis,
        String detail,
        boolean local) {

    /** How a session with the endpoint ended. */
    public SmtpOutcome(OutcomeClass outcome, SmtpStep step, SmtpReply reply, List<String> accepted,
            List<RecipientReply> rejected, List<RecipientReply> deferred, long durationMillis, String detail) {
        this(outcome, step, reply, accepted, rejected, deferred, durationMillis, detail, false);
    }

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
