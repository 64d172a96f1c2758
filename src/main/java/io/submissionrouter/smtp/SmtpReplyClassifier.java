package io.submissionrouter.smtp;

/**
 * The one place where an SMTP session's end is turned into an {@link OutcomeClass} (CONTRACT 5.2),
 * from the step that answered last and the reply, if any. Everything else acts on the class.
 */
public final class SmtpReplyClassifier {

    private SmtpReplyClassifier() {
    }

    /**
     * Classifies a failed session.
     *
     * @param step  the step that was under way when the session ended
     * @param reply the server's reply to that step, or null when none came (timeout, connection lost, TLS failure)
     */
    public static OutcomeClass classifyFailure(SmtpStep step, SmtpReply reply) {
        if (step.isSessionSetup()) {
            return step == SmtpStep.AUTH && reply != null && reply.code() >= 500
                    ? OutcomeClass.CONFIG_ERROR
                    : OutcomeClass.ENDPOINT_DOWN;
        }
        if (reply == null) {
            // No answer: before the dot the message was not complete (the endpoint failed); after it, nobody knows.
            return step == SmtpStep.DOT ? OutcomeClass.UNCERTAIN : OutcomeClass.ENDPOINT_DOWN;
        }
        return classifyMessageReply(reply);
    }

    /** Classifies a reply to MAIL, RCPT, DATA or the final dot. */
    public static OutcomeClass classifyMessageReply(SmtpReply reply) {
        if (reply.positive()) {
            return OutcomeClass.SENT;
        }
        if (reply.throttling()) {
            return OutcomeClass.THROTTLED;
        }
        return reply.transientFailure() ? OutcomeClass.TRANSIENT : OutcomeClass.REJECTED;
    }
}
