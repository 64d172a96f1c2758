package io.submissionrouter.smtp;

/**
 * The one place where an SMTP session's end is turned into an {@link OutcomeClass} (CONTRACT 5.2 and 8.1),
 * from the step under way when it ended, the reply read for that step (if any), and whether the final dot was
 * written. Everything else acts on the class.
 * <p>
 * A session is {@code sent} only when the reply to the final dot was read and is 2xx: a reply to an earlier
 * command (MAIL, RCPT, DATA's 354) never stands for the message's acceptance. Without a reply, a session that
 * ended before the final dot was written failed at the endpoint ({@code endpoint_down}); one that ended after
 * it is {@code uncertain}: the server may have taken the message.
 */
public final class SmtpReplyClassifier {

    private SmtpReplyClassifier() {
    }

    /**
     * Classifies how a session ended.
     *
     * @param step       the step under way when the session ended
     * @param reply      the server's reply read for that step's last command, or null when none was read
     *                   (timeout, connection lost, TLS failure)
     * @param dotWritten whether the final dot of the message reached the connection
     */
    public static OutcomeClass classify(SmtpStep step, SmtpReply reply, boolean dotWritten) {
        if (step.isSessionSetup()) {
            return step == SmtpStep.AUTH && reply != null && reply.code() >= 500
                    ? OutcomeClass.CONFIG_ERROR
                    : OutcomeClass.ENDPOINT_DOWN;
        }
        if (step == SmtpStep.DOT) {
            if (reply == null) {
                return dotWritten ? OutcomeClass.UNCERTAIN : OutcomeClass.ENDPOINT_DOWN;
            }
            if (reply.code() >= 200 && reply.code() < 300) {
                return OutcomeClass.SENT;
            }
            // neither an acceptance nor a refusal (a 3xx to the dot): nobody knows whether the server took it
            return reply.code() >= 400 ? refusal(reply) : OutcomeClass.UNCERTAIN;
        }
        if (reply == null || reply.code() < 400) {
            // MAIL, RCPT or DATA: no reply, or the session failed after a positive one (the body could not be
            // written): the message never reached the end, the endpoint failed
            return OutcomeClass.ENDPOINT_DOWN;
        }
        return refusal(reply);
    }

    /** A 4xx or 5xx reply to MAIL, RCPT, DATA or the final dot. */
    public static OutcomeClass refusal(SmtpReply reply) {
        if (reply.throttling()) {
            return OutcomeClass.THROTTLED;
        }
        return reply.transientFailure() ? OutcomeClass.TRANSIENT : OutcomeClass.REJECTED;
    }
}
