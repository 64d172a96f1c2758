package io.submissionrouter.smtp;

import io.submissionrouter.config.CredentialsUnavailable;
import io.submissionrouter.config.SessionSettings;
import jakarta.mail.Address;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.URLName;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Runs SMTP sessions with one endpoint: connect, EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA, and tells how
 * each ended as an {@link SmtpOutcome}. Never throws for anything the server or the network does. With a
 * pool, an authenticated session carries message after message ({@link SmtpConnectionPool}).
 */
public final class SmtpSubmitter implements AutoCloseable {

    private final SessionSettings spec;
    private final Session session;
    private final Session utf8Session;
    /** Reused sessions; null: a new session per message. */
    private final SmtpConnectionPool pool;

    /**
     * A submitter that keeps sessions open within {@code pool} ({@code submission.smtp.pool.*}); null for a
     * new session per message. Messages that need SMTPUTF8 always get a session of their own. Every socket's writes
     * are timed out by {@code writeTimeouts} (the pod's one scheduler; null: a timer thread per socket).
     */
    public SmtpSubmitter(SessionSettings spec, PoolLimits pool, ScheduledExecutorService writeTimeouts) {
        this.spec = spec;
        this.session = SmtpSessions.create(spec, writeTimeouts, false);
        this.utf8Session = SmtpSessions.create(spec, writeTimeouts, true);
        this.pool = pool == null || pool.maxConnections() < 1 ? null : new SmtpConnectionPool(
                () -> newTransport(session), this::connect, pool, spec.connectTimeout());
    }

    /**
     * Bounds of the sessions kept open per endpoint; a kept session idle longer than {@code checkAfterIdle} is checked
     * with RSET before its next message.
     */
    public record PoolLimits(int maxConnections, int maxMessages, Duration maxAge, Duration idleTimeout,
            Duration checkAfterIdle) {
    }

    public SessionSettings spec() {
        return spec;
    }

    /**
     * Sends {@code message} to {@code recipients} (the envelope; Bcc included, never as a header). Every read of
     * the session ends by {@code deadlineNanos} ({@link System#nanoTime()}, the job's time), and a pooled session
     * is waited for until then at most (Long.MAX_VALUE: no deadline beyond the session's own timeouts).
     */
    public SmtpOutcome submit(MimeMessage message, List<InternetAddress> recipients, long deadlineNanos) {
        boolean utf8 = message instanceof SubmissionMessage m && m.requiresSmtpUtf8();
        return pool == null || utf8 ? submitInNewSession(message, recipients, utf8, deadlineNanos)
                : submitPooled(message, recipients, deadlineNanos);
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
            return SessionOutcomes.of(e.transport, recipients, e.failure, millisSince(start));
        } catch (SmtpConnectionPool.Exhausted e) {
            // every session of this pod busy (slow replies): not the endpoint's fault, not counted by its breaker
            return new SmtpOutcome(OutcomeClass.ENDPOINT_DOWN, SmtpStep.CONNECT, null, List.of(), List.of(),
                    SessionOutcomes.pendingAll(recipients, null), millisSince(start), e.getMessage(), true);
        }
        TrackingSmtpTransport transport = session.transport;
        Transactions sent = null;
        try {
            MessagingException failure = send(transport, message, recipients);
            if (failure != null && session.unchecked && stale(transport, failure, deadlineNanos)) {
                return null;
            }
            sent = transactions(transport, message, recipients, failure, deadlineNanos, start);
            return sent.outcome();
        } finally {
            if (sent != null && sent.clean()) {
                pool.release(session);
            } else {
                pool.discard(session); // a session that met any failure is never reused, nor lost to the pool
            }
        }
    }

    /** The message's transactions on one session: how the session ended, and whether it ended without a failure. */
    private record Transactions(SmtpOutcome outcome, boolean clean) {
    }

    /**
     * Sends the message in as many transactions as the server needs (CONTRACT 9.2): the first went to every
     * recipient ({@code failure} is how it ended); while a transaction was accepted and the server refused some of its
     * recipients only as too many for one transaction (452 4.5.3, or 552 5.5.3), those go in the next transaction at
     * once, on the same connection. Each transaction accepts at least one recipient, so there are at most as many as
     * recipients; none starts once the job's time has run out. All of them are one session: one attempt.
     */
    private Transactions transactions(TrackingSmtpTransport t, MimeMessage message, List<InternetAddress> recipients,
            MessagingException first, long deadlineNanos, long start) {
        MessagingException failure = first;
        SmtpOutcome outcome = SessionOutcomes.of(t, recipients, failure, millisSince(start));
        List<InternetAddress> moved = SessionOutcomes.tooMany(outcome, recipients);
        while (outcome.outcome() == OutcomeClass.SENT && !moved.isEmpty() && System.nanoTime() - deadlineNanos < 0) {
            long next = System.nanoTime();
            t.beginMessage();
            failure = send(t, message, moved);
            outcome = SessionOutcomes.merge(outcome, SessionOutcomes.followUp(t, moved, failure, millisSince(next)),
                    moved);
            moved = SessionOutcomes.tooMany(outcome, moved);
        }
        return new Transactions(outcome, failure == null);
    }

    /** One transaction: MAIL, RCPT for each recipient, DATA, the message, the final dot. Its failure, or null. */
    private static MessagingException send(TrackingSmtpTransport t, MimeMessage message, List<InternetAddress> to) {
        return failureOf("the session", () -> t.sendMessage(message, to.toArray(Address[]::new)));
    }

    /** Part of a session: it talks to the server. */
    @FunctionalInterface
    private interface SessionPart {
        void run() throws MessagingException;
    }

    /** How {@code part} failed, or null; whatever Angus or the message throws ends the session, classified by step. */
    private static MessagingException failureOf(String what, SessionPart part) {
        try {
            part.run();
            return null;
        } catch (MessagingException e) {
            return e;
        } catch (RuntimeException e) {
            return new MessagingException(what + " failed: " + e, e);
        }
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
        return reply == null ? !TrackingSmtpTransport.timedOut(failure) : reply.code() == 421;
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
        try {
            MessagingException failed = failureOf("the session", () -> connect(transport));
            if (failed != null) {
                return SessionOutcomes.of(transport, recipients, failed, millisSince(start));
            }
            if (utf8 && !transport.supportsExtension("SMTPUTF8")) {
                return SmtpOutcome.lacksExtension("the message has a non-ASCII address and needs SMTPUTF8 (RFC 6531), "
                        + "which " + spec.label() + " does not offer", millisSince(start));
            }
            return transactions(transport, message, recipients, send(transport, message, recipients), deadlineNanos,
                    start).outcome();
        } finally {
            closeQuietly(transport); // after the outcome was read from it
        }
    }

    /** A session that carries no message: EHLO, STARTTLS, AUTH, NOOP, QUIT. Used to probe a half-open endpoint. */
    public SmtpOutcome probe() {
        long start = System.nanoTime();
        TrackingSmtpTransport transport = newTransport(session);
        transport.deadline(System.nanoTime() + spec.connectTimeout().plus(spec.readTimeout()).multipliedBy(4).toNanos());
        MessagingException failure;
        try {
            failure = failureOf("the probe", () -> {
                connect(transport);
                if (transport.simpleCommand("NOOP") != 250) {
                    throw new MessagingException("NOOP answered " + transport.getLastServerResponse());
                }
            });
        } finally {
            closeQuietly(transport);
        }
        long millis = millisSince(start);
        if (failure == null) {
            return new SmtpOutcome(OutcomeClass.SENT, SmtpStep.AUTH, null, List.of(), List.of(), List.of(), millis,
                    "probe succeeded");
        }
        if (failure instanceof SessionOutcomes.NoAuth) {
            return SessionOutcomes.of(transport, List.of(), failure, millis);
        }
        SmtpStep step = transport.step().isSessionSetup() ? transport.step() : SmtpStep.EHLO;
        SmtpReply reply = transport.replyToCurrentStep();
        return new SmtpOutcome(SmtpReplyClassifier.classify(step, reply, false), step, reply, List.of(), List.of(),
                List.of(), millis, SessionOutcomes.describe(failure));
    }

    private TrackingSmtpTransport newTransport(Session session) {
        return new TrackingSmtpTransport(session, new URLName("smtp", spec.host(), spec.port(), null, null, null));
    }

    private void connect(TrackingSmtpTransport transport) throws MessagingException {
        Optional<SessionSettings.Credentials> credentials;
        try {
            credentials = spec.credentials().get();
        } catch (CredentialsUnavailable e) {
            throw new SessionOutcomes.NoAuth(e);
        }
        if (credentials.isPresent()) {
            // checked on the EHLO before AUTH: without it Angus would go on without AUTH, the server would refuse
            // MAIL and the job would look rejected; with no mechanism in common it would fail as if the server had
            transport.requireAuth(spec.authMechanisms(), settingPrefix());
        }
        transport.connect(spec.host(), spec.port(),
                credentials.map(SessionSettings.Credentials::username).orElse(null),
                credentials.map(SessionSettings.Credentials::password).orElse(null));
        if (credentials.isPresent() && !transport.supportsExtension("AUTH")
                && !transport.supportsExtension("AUTH=LOGIN")) {
            // only after a refused EHLO and an accepted HELO, which lists no extension: the endpoint's failure
            throw new MessagingException("EHLO was refused and HELO offers no AUTH");
        }
        transport.beginMessage(); // past AUTH, ready for MAIL
    }

    /** Where this endpoint's settings live: {@code submission.smtp} or {@code submission.relays.<relay>}. */
    private String settingPrefix() {
        return "default".equals(spec.relay()) ? "submission.smtp" : "submission.relays." + spec.relay();
    }

    private static long millisSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    static void closeQuietly(TrackingSmtpTransport transport) {
        try {
            if (transport != null) {
                transport.close();
            }
        } catch (MessagingException ignored) {
            // the session's outcome is already known; a failing QUIT changes nothing
        } finally {
            SmtpSessions.forget();
        }
    }
}
