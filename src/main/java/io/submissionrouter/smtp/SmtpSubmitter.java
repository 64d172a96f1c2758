package io.submissionrouter.smtp;

import io.submissionrouter.config.CredentialsUnavailable;
import io.submissionrouter.config.TokenSource;
import jakarta.mail.Address;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.URLName;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Runs SMTP sessions with one endpoint: connect, EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA, and tells how
 * each ended as an {@link SmtpOutcome}. Never throws for anything the server or the network does. With a
 * pool, an authenticated session carries message after message ({@link SmtpConnectionPool}).
 */
public final class SmtpSubmitter implements AutoCloseable {

    private final EndpointSpec spec;
    private final Session session;
    private final Session utf8Session;
    /** Reused sessions; null: a new session per message. */
    private final SmtpConnectionPool pool;

    /** A submitter that opens a new session for every message. */
    public SmtpSubmitter(EndpointSpec spec) {
        this(spec, null);
    }

    /**
     * A submitter that keeps sessions open within {@code pool} ({@code submission.smtp.pool.*}); null for a
     * new session per message. Messages that need SMTPUTF8 always get a session of their own.
     */
    public SmtpSubmitter(EndpointSpec spec, PoolLimits pool) {
        this(spec, pool, null);
    }

    /**
     * As {@link #SmtpSubmitter(EndpointSpec, PoolLimits)}, every socket's writes timed out by {@code writeTimeouts}
     * (the pod's one scheduler; null: a timer thread per socket).
     */
    public SmtpSubmitter(EndpointSpec spec, PoolLimits pool, ScheduledExecutorService writeTimeouts) {
        this.spec = spec;
        this.session = SmtpSessions.create(spec, writeTimeouts);
        this.utf8Session = SmtpSessions.createUtf8(spec, writeTimeouts);
        this.pool = pool == null || pool.maxConnections() < 1 ? null : new SmtpConnectionPool(
                () -> newTransport(session), this::connect, pool, spec.connectTimeout());
    }

    /**
     * Bounds of the sessions kept open per endpoint; a kept session idle longer than {@code checkAfterIdle} is checked
     * with RSET before its next message.
     */
    public record PoolLimits(int maxConnections, int maxMessages, Duration maxAge, Duration idleTimeout,
            Duration checkAfterIdle) {

        /** Every kept session checked with RSET. */
        public PoolLimits(int maxConnections, int maxMessages, Duration maxAge, Duration idleTimeout) {
            this(maxConnections, maxMessages, maxAge, idleTimeout, Duration.ZERO);
        }
    }

    public EndpointSpec spec() {
        return spec;
    }

    public Session session() {
        return session;
    }

    /**
     * Sends {@code message} to {@code recipients} (the envelope; Bcc included, never as a header). Every read of
     * the session ends by {@code deadlineNanos} ({@link System#nanoTime()}, the job's time), and a pooled session
     * is waited for until then at most.
     */
    public SmtpOutcome submit(MimeMessage message, List<InternetAddress> recipients, long deadlineNanos) {
        boolean utf8 = message instanceof SubmissionMessage m && m.requiresSmtpUtf8();
        return pool == null || utf8 ? submitInNewSession(message, recipients, utf8, deadlineNanos)
                : submitPooled(message, recipients, deadlineNanos);
    }

    /** As {@link #submit(MimeMessage, List, long)}, without a deadline beyond the session's own timeouts. */
    public SmtpOutcome submit(MimeMessage message, List<InternetAddress> recipients) {
        return submit(message, recipients, Long.MAX_VALUE);
    }

    private SmtpOutcome submitPooled(MimeMessage message, List<InternetAddress> recipients, long deadlineNanos) {
        long start = System.nanoTime();
        SmtpOutcome outcome = submitPooled(message, recipients, deadlineNanos, false, start);
        // a kept session used a moment ago went straight to MAIL, and the server had closed it (or announced that it
        // would, 421): nothing was sent on it, so the message goes on a session that is checked or new
        return outcome != null ? outcome : submitPooled(message, recipients, deadlineNanos, true, start);
    }

    /** One try on a pooled session; null when the session proved stale at MAIL (only when {@code check} is false). */
    private SmtpOutcome submitPooled(MimeMessage message, List<InternetAddress> recipients, long deadlineNanos,
            boolean check, long start) {
        SmtpConnectionPool.Pooled session;
        try {
            session = pool.borrow(borrowWait(deadlineNanos), deadlineNanos, check);
        } catch (SmtpConnectionPool.ConnectFailed e) {
            return outcomeOf(e.transport(), recipients, e.failure(), millisSince(start));
        } catch (SmtpConnectionPool.Exhausted e) {
            // every session of this pod busy (slow replies): not the endpoint's fault, not counted by its breaker
            return new SmtpOutcome(OutcomeClass.ENDPOINT_DOWN, SmtpStep.CONNECT, null, List.of(), List.of(),
                    pendingAll(recipients, null), millisSince(start), e.getMessage(), true);
        }
        TrackingSmtpTransport transport = session.transport();
        MessagingException failure = null;
        SmtpOutcome outcome = null;
        try {
            transport.sendMessage(message, recipients.toArray(Address[]::new));
        } catch (MessagingException e) {
            failure = e;
        } catch (RuntimeException e) {
            // whatever Angus or the message throws: the session ends here, classified by how far it got
            failure = new MessagingException("the session failed: " + e, e);
        } finally {
            try {
                // read before the session goes back: the next borrower starts a new message on it at once
                outcome = failure != null && session.unchecked() && stale(transport, failure, deadlineNanos) ? null
                        : outcomeOf(transport, recipients, failure, millisSince(start));
            } finally {
                if (failure == null && outcome != null) {
                    pool.release(session);
                } else {
                    pool.discard(session); // a session that met any failure is never reused, nor lost to the pool
                }
            }
        }
        return outcome;
    }

    /**
     * Whether a kept session that went to MAIL without RSET had been closed by the server: MAIL got no reply but the
     * connection's end, or a 421 (a server closing an idle session says so before it hangs up, and the line waits
     * to be read). Silence is not stale: the endpoint is not answering, as RSET would have found.
     */
    private static boolean stale(TrackingSmtpTransport t, MessagingException failure, long deadlineNanos) {
        if (t.step() != SmtpStep.MAIL || System.nanoTime() >= deadlineNanos) {
            return false;
        }
        SmtpReply reply = t.replyToCurrentStep();
        return reply == null ? !timedOut(failure) : reply.code() == 421;
    }

    private static boolean timedOut(Throwable failure) {
        Throwable t = failure;
        for (int depth = 0; t != null && depth < 8; depth++) {
            if (t instanceof java.net.SocketTimeoutException) {
                return true;
            }
            t = t instanceof MessagingException me && me.getNextException() != null ? me.getNextException() : t.getCause();
        }
        return false;
    }

    /** How long a job may wait for a session of the pool: what is left of its time (a session frees within its own). */
    private Duration borrowWait(long deadlineNanos) {
        long left = deadlineNanos == Long.MAX_VALUE ? spec.connectTimeout().plus(spec.dataTimeout()).toNanos()
                : deadlineNanos - System.nanoTime();
        return Duration.ofNanos(Math.max(1_000_000, left));
    }

    /** Sessions open with this endpoint now (0 without a pool). */
    public int openSessions() {
        return pool == null ? 0 : pool.open();
    }

    /** Closes the sessions kept open (QUIT). */
    @Override
    public void close() {
        if (pool != null) {
            pool.close();
        }
    }

    private SmtpOutcome submitInNewSession(MimeMessage message, List<InternetAddress> recipients, boolean utf8,
            long deadlineNanos) {
        long start = System.nanoTime();
        TrackingSmtpTransport transport = newTransport(utf8 ? utf8Session : session);
        transport.deadline(deadlineNanos);
        MessagingException failure = null;
        try {
            connect(transport);
            if (utf8 && !transport.supportsExtension("SMTPUTF8")) {
                return SmtpOutcome.lacksExtension("the message has a non-ASCII address and needs SMTPUTF8 (RFC 6531), "
                        + "which " + spec.label() + " does not offer", millisSince(start));
            }
            transport.sendMessage(message, recipients.toArray(Address[]::new));
        } catch (MessagingException e) {
            failure = e;
        } catch (RuntimeException e) {
            failure = new MessagingException("the session failed: " + e, e);
        } finally {
            closeQuietly(transport);
        }
        return outcomeOf(transport, recipients, failure, millisSince(start));
    }

    /** A session that carries no message: EHLO, STARTTLS, AUTH, NOOP, QUIT. Used to probe a half-open endpoint. */
    public SmtpOutcome probe() {
        long start = System.nanoTime();
        TrackingSmtpTransport transport = newTransport(session);
        transport.deadline(System.nanoTime() + spec.connectTimeout().plus(spec.readTimeout()).multipliedBy(4).toNanos());
        MessagingException failure = null;
        try {
            connect(transport);
            int code = transport.simpleCommand("NOOP");
            if (code != 250) {
                failure = new MessagingException("NOOP answered " + transport.getLastServerResponse());
            }
        } catch (MessagingException e) {
            failure = e;
        } catch (RuntimeException e) {
            failure = new MessagingException("the probe failed: " + e, e);
        } finally {
            closeQuietly(transport);
        }
        long millis = millisSince(start);
        if (failure == null) {
            return new SmtpOutcome(OutcomeClass.SENT, SmtpStep.AUTH, null, List.of(), List.of(), List.of(), millis,
                    "probe succeeded");
        }
        if (failure instanceof NoCredentials none) {
            return none.outcome(List.of(), millis);
        }
        SmtpStep step = transport.step().isSessionSetup() ? transport.step() : SmtpStep.EHLO;
        SmtpReply reply = transport.replyToCurrentStep();
        return new SmtpOutcome(SmtpReplyClassifier.classify(step, reply, false), step, reply, List.of(), List.of(),
                List.of(), millis, describe(failure));
    }

    private TrackingSmtpTransport newTransport(Session session) {
        return new TrackingSmtpTransport(session, new URLName("smtp", spec.host(), spec.port(), null, null, null));
    }

    private void connect(TrackingSmtpTransport transport) throws MessagingException {
        Optional<EndpointSpec.Credentials> credentials;
        try {
            credentials = spec.credentials().get();
        } catch (CredentialsUnavailable e) {
            throw new NoCredentials(e);
        }
        transport.connect(spec.host(), spec.port(),
                credentials.map(EndpointSpec.Credentials::username).orElse(null),
                credentials.map(EndpointSpec.Credentials::password).orElse(null));
        if (credentials.isPresent() && !transport.supportsExtension("AUTH")) {
            // Angus would go on without AUTH; the server would then refuse MAIL and the job would look rejected.
            throw new MessagingException("credentials are set but the server offers no AUTH");
        }
        transport.connected();
    }

    /**
     * How the session ended, and where each recipient of its envelope stands (CONTRACT 8.1): accepted only when the
     * final dot got a 2xx reply and its RCPT one too; refused for good when its RCPT got a 5xx, or every recipient
     * when the message got one; every other recipient is still pending, with the last reply it got, if any.
     */
    static SmtpOutcome outcomeOf(TrackingSmtpTransport t, List<InternetAddress> recipients,
            MessagingException failure, long millis) {
        if (failure instanceof NoCredentials none) {
            return none.outcome(recipients, millis);
        }
        SmtpStep step = t.step();
        SmtpReply reply = t.replyToCurrentStep();
        Map<String, SmtpReply> rcpt = t.recipientReplies();
        // (Angus reports a 250 to the dot with some recipients refused as a failure too: the dot's reply decides)
        OutcomeClass cls = everyRecipientAnswered(step, recipients, rcpt)
                ? everyRecipientRefused(rcpt.values())
                : SmtpReplyClassifier.classify(step, reply, t.dotWritten());
        SmtpReply closing = rcpt.values().stream().filter(r -> r.code() == 421).findFirst().orElse(null);
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
        for (InternetAddress address : recipients) {
            String a = address.getAddress();
            SmtpReply r = rcpt.get(a);
            if (r != null && r.code() >= 500) {
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

    private static boolean everyRecipientAnswered(SmtpStep step, List<InternetAddress> recipients,
            Map<String, SmtpReply> rcpt) {
        return step == SmtpStep.RCPT && !recipients.isEmpty()
                && recipients.stream().allMatch(a -> rcpt.containsKey(a.getAddress()))
                && rcpt.values().stream().allMatch(r -> r.code() >= 400);
    }

    /** Every recipient was refused at RCPT: permanently if all got a 5xx, else for now. */
    private static OutcomeClass everyRecipientRefused(java.util.Collection<SmtpReply> replies) {
        if (replies.stream().allMatch(r -> r.code() >= 500)) {
            return OutcomeClass.REJECTED;
        }
        return replies.stream().anyMatch(SmtpReply::throttling) ? OutcomeClass.THROTTLED : OutcomeClass.TRANSIENT;
    }

    private static RecipientReply recipient(String address, SmtpReply reply) {
        return reply == null ? new RecipientReply(address, null, null, null)
                : new RecipientReply(address, reply.code(), reply.enhancedCode(), reply.text());
    }

    private static List<RecipientReply> pendingAll(List<InternetAddress> recipients, SmtpReply reply) {
        return recipients.stream().map(a -> recipient(a.getAddress(), reply)).toList();
    }

    private static long millisSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    /**
     * No credentials, so no session: a setting that is wrong (an unreadable or empty Secret file, a token endpoint
     * that refused the client) is a {@code config_error}; a token endpoint that failed or could not be reached
     * leaves the endpoint down for now.
     */
    static final class NoCredentials extends MessagingException {
        private final boolean configError;

        NoCredentials(CredentialsUnavailable cause) {
            super(cause instanceof TokenSource.TokenUnavailable
                    ? "no OAuth2 access token for XOAUTH2: " + cause.getMessage() : cause.getMessage());
            this.configError = cause.configError();
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
                sb.append(" (").append(t.getMessage().strip().replaceAll("\\s+", " ")).append(')');
            }
            Throwable next = t instanceof MessagingException me && me.getNextException() != null
                    ? me.getNextException() : t.getCause();
            t = next == t ? null : next;
        }
        return sb.length() > 500 ? sb.substring(0, 500) : sb.toString();
    }

    static void closeQuietly(TrackingSmtpTransport transport) {
        try {
            if (transport != null) {
                transport.close();
            }
        } catch (MessagingException ignored) {
            // the session's outcome is already known; a failing QUIT changes nothing
        } finally {
            SessionSocketFactory.forget();
        }
    }
}
