package io.submissionrouter.smtp;

import io.submissionrouter.config.CredentialsUnavailable;
import io.submissionrouter.config.TokenSource;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.InternetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * How an SMTP session (or one transaction of it) ended, read from its {@link TrackingSmtpTransport} once it is over:
 * the class from {@link SmtpReplyClassifier}, and where each recipient of the transaction's envelope stands (CONTRACT
 * 8.1 and 9.2). Pure: it reads the transport's record of the session and the failure, nothing else.
 */
final class SessionOutcomes {

    private SessionOutcomes() {
    }

    /**
     * How the transaction to {@code recipients} ended: a recipient is accepted only when the final dot got a 2xx reply
     * and its RCPT one too; refused for good when its RCPT got a 5xx (but "too many recipients", which is temporary,
     * RFC 5321 4.5.3.1.10), or every recipient when the message got one; every other recipient is still pending, with
     * the last reply it got, if any. A session cut short by the job's own deadline before its final dot was written is
     * {@code job_timeout}: the router's outcome, not the endpoint's.
     */
    static SmtpOutcome of(TrackingSmtpTransport t, List<InternetAddress> recipients, MessagingException failure,
            long millis) {
        if (failure instanceof NoAuth none) {
            return none.outcome(recipients, millis);
        }
        SmtpStep step = t.step();
        SmtpReply reply = t.replyToCurrentStep();
        List<SmtpReply> rcpt = new ArrayList<>(recipients.size());
        for (int i = 0; i < recipients.size(); i++) {
            rcpt.add(t.recipientReply(i));
        }
        OutcomeClass cls;
        if (reply == null && !t.dotWritten() && t.ranOutOfJobTime(failure)) {
            cls = OutcomeClass.JOB_TIMEOUT;
        } else if (everyRecipientAnswered(step, rcpt)) {
            // (Angus reports a 250 to the dot with some recipients refused as a failure too: the dot's reply decides)
            cls = everyRecipientRefused(rcpt);
        } else {
            cls = SmtpReplyClassifier.classify(step, reply, t.dotWritten());
        }
        SmtpReply closing = rcpt.stream().filter(r -> r != null && r.code() == 421).findFirst().orElse(null);
        if (cls == OutcomeClass.ENDPOINT_DOWN && closing != null && !t.dotWritten()) {
            // a 421 to an RCPT announced the end of the session (CONTRACT 5.2: 421 after AUTH is throttled), and
            // Angus went on until it found the connection gone
            cls = OutcomeClass.THROTTLED;
            step = SmtpStep.RCPT;
            reply = closing;
        }
        List<String> accepted = new ArrayList<>();
        List<RecipientReply> rejected = new ArrayList<>();
        List<RecipientReply> pending = new ArrayList<>();
        boolean messageRefused = cls == OutcomeClass.REJECTED && step != SmtpStep.RCPT;
        for (int i = 0; i < recipients.size(); i++) {
            String a = recipients.get(i).getAddress();
            SmtpReply r = rcpt.get(i);
            if (permanent(r)) {
                rejected.add(recipient(a, r));
            } else if (cls == OutcomeClass.SENT && r != null && r.code() < 300) {
                accepted.add(a);
            } else if (messageRefused) {
                rejected.add(recipient(a, reply));
            } else {
                pending.add(recipient(a, r != null && r.code() >= 400 ? r : reply));
            }
        }
        String detail = cls == OutcomeClass.SENT ? null
                : failure == null && cls == OutcomeClass.REJECTED ? "every recipient was refused" : describe(failure);
        return new SmtpOutcome(cls, step, reply, accepted, rejected, pending, millis, detail);
    }

    /**
     * How a following transaction of a session ended ({@link #of}), but that a refusal of its MAIL, which a server may
     * give to a session's next message (a limit of messages per session), is no refusal of its recipients for good:
     * they are pending, and go in another session later ({@code transient}).
     */
    static SmtpOutcome followUp(TrackingSmtpTransport t, List<InternetAddress> moved, MessagingException failure,
            long millis) {
        SmtpOutcome o = of(t, moved, failure, millis);
        if (o.outcome() != OutcomeClass.REJECTED || o.step() != SmtpStep.MAIL) {
            return o;
        }
        return new SmtpOutcome(OutcomeClass.TRANSIENT, o.step(), o.reply(), List.of(), List.of(),
                pendingAll(moved, o.reply()), millis, o.detail());
    }

    /**
     * One session's outcome from two transactions of it: {@code earlier}, whose recipients the server refused as too
     * many for one transaction, and {@code next}, sent to those ({@code moved}) on the same connection at once
     * (CONTRACT 9.2). The session ends as {@code next} did; what {@code earlier} accepted or refused stands.
     */
    static SmtpOutcome merge(SmtpOutcome earlier, SmtpOutcome next, List<InternetAddress> moved) {
        Set<String> movedAddresses = moved.stream().map(InternetAddress::getAddress).collect(Collectors.toSet());
        List<String> accepted = new ArrayList<>(earlier.accepted());
        accepted.addAll(next.accepted());
        List<RecipientReply> rejected = new ArrayList<>(earlier.rejected());
        rejected.addAll(next.rejected());
        List<RecipientReply> pending = new ArrayList<>();
        earlier.deferred().stream().filter(r -> !movedAddresses.contains(r.address())).forEach(pending::add);
        pending.addAll(next.deferred());
        return new SmtpOutcome(next.outcome(), next.step(), next.reply(), accepted, rejected, pending,
                earlier.durationMillis() + next.durationMillis(), next.detail());
    }

    /** The pending recipients a server refused only because the transaction had too many: they go in the next one. */
    static List<InternetAddress> tooMany(SmtpOutcome o, List<InternetAddress> sent) {
        Set<String> refused = o.deferred().stream()
                .filter(r -> r.smtpCode() != null && new SmtpReply(r.smtpCode(), r.smtpEnhancedCode(), r.smtpReply())
                        .tooManyRecipients())
                .map(RecipientReply::address).collect(Collectors.toSet());
        return sent.stream().filter(a -> refused.contains(a.getAddress())).toList();
    }

    private static boolean permanent(SmtpReply r) {
        return r != null && r.code() >= 500 && !r.tooManyRecipients();
    }

    private static boolean everyRecipientAnswered(SmtpStep step, List<SmtpReply> rcpt) {
        return step == SmtpStep.RCPT && !rcpt.isEmpty() && rcpt.stream().allMatch(r -> r != null && r.code() >= 400);
    }

    /** Every recipient was refused at RCPT: permanently if all got a (permanent) 5xx, else for now. */
    private static OutcomeClass everyRecipientRefused(List<SmtpReply> replies) {
        if (replies.stream().allMatch(SessionOutcomes::permanent)) {
            return OutcomeClass.REJECTED;
        }
        return replies.stream().anyMatch(SmtpReply::throttling) ? OutcomeClass.THROTTLED : OutcomeClass.TRANSIENT;
    }

    static RecipientReply recipient(String address, SmtpReply reply) {
        return reply == null ? new RecipientReply(address, null, null, null)
                : new RecipientReply(address, reply.code(), reply.enhancedCode(), reply.text());
    }

    static List<RecipientReply> pendingAll(List<InternetAddress> recipients, SmtpReply reply) {
        return recipients.stream().map(a -> recipient(a.getAddress(), reply)).toList();
    }

    /**
     * No session with credentials: none could be had (an unreadable or empty Secret file, or a token endpoint that
     * refused the client, are a {@code config_error}; a token endpoint that failed or could not be reached leaves the
     * endpoint down for now), or they are set but AUTH cannot happen with this server as configured (no AUTH offered,
     * or none of the mechanisms the settings allow): someone must change a setting, {@code config_error} as a refused
     * AUTH is, never the endpoint merely down.
     */
    static final class NoAuth extends MessagingException {
        private final boolean configError;

        NoAuth(CredentialsUnavailable cause) {
            super(cause instanceof TokenSource.TokenUnavailable
                    ? "no OAuth2 access token for XOAUTH2: " + cause.getMessage() : cause.getMessage());
            this.configError = cause.configError();
        }

        NoAuth(String whyImpossible) {
            super(whyImpossible);
            this.configError = true;
        }

        SmtpOutcome outcome(List<InternetAddress> recipients, long millis) {
            return new SmtpOutcome(configError ? OutcomeClass.CONFIG_ERROR : OutcomeClass.ENDPOINT_DOWN, SmtpStep.AUTH,
                    null, List.of(), List.of(), pendingAll(recipients, null), millis, getMessage());
        }
    }

    /** A short description of a failure: exception types and messages down the cause chain, no content. */
    static String describe(Throwable failure) {
        if (failure == null) {
            return null;
        }
        StringBuilder sb = new StringBuilder();
        Throwable t = failure;
        for (int depth = 0; t != null && depth < 4; depth++) {
            if (sb.length() > 0) {
                sb.append(": ");
            }
            sb.append(t.getClass().getSimpleName());
            if (t.getMessage() != null) {
                String m = t.getMessage();
                sb.append(" (").append((m.length() > 600 ? m.substring(0, 600) : m).strip().replaceAll("\\s+", " "))
                        .append(')');
            }
            Throwable next = t.getCause(); // a MessagingException's cause is its next exception
            t = next == t ? null : next;
        }
        return sb.length() > 500 ? sb.substring(0, 500) : sb.toString();
    }
}
