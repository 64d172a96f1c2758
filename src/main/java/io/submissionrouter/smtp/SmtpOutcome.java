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

    public static SmtpOutcome skipped() {
        return new SmtpOutcome(OutcomeClass.SKIPPED_OPEN, null, null, List.of(), List.of(), List.of(), 0,
                "circuit breaker open");
    }
}
