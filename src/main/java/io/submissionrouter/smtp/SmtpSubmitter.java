package io.submissionrouter.smtp;

import io.submissionrouter.config.TokenSource;
import jakarta.mail.Address;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.URLName;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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
        this.spec = spec;
        this.session = SmtpSessions.create(spec);
        this.utf8Session = SmtpSessions.createUtf8(spec);
        this.pool = pool == null || pool.maxConnections() < 1 ? null : new SmtpConnectionPool(
                () -> newTransport(session), this::connect, pool, spec.connectTimeout());
    }

    /** Bounds of the sessions kept open per endpoint. */
    public record PoolLimits(int maxConnections, int maxMessages, java.time.Duration maxAge,
            java.time.Duration idleTimeout) {
    }

    public EndpointSpec spec() {
        return spec;
    }

    public Session session() {
        return session;
    }

    /** Sends {@code message} to {@code recipients} (the envelope; Bcc included, never as a header). */
    public SmtpOutcome submit(MimeMessage message, List<InternetAddress> recipients) {
        boolean utf8 = message instanceof SubmissionMessage m && m.requiresSmtpUtf8();
        return pool == null || utf8 ? submitInNewSession(message, recipients, utf8) : submitPooled(message, recipients);
    }

    private SmtpOutcome submitPooled(MimeMessage message, List<InternetAddress> recipients) {
        long start = System.nanoTime();
        SmtpConnectionPool.Pooled session;
        try {
            session = pool.borrow();
        } catch (SmtpConnectionPool.ConnectFailed e) {
            return outcomeOf(e.transport(), recipients, e.failure(), (System.nanoTime() - start) / 1_000_000);
        }
        TrackingSmtpTransport transport = session.transport();
        MessagingException failure = null;
        try {
            transport.sendMessage(message, recipients.toArray(Address[]::new));
        } catch (MessagingException e) {
            failure = e;
        }
        SmtpOutcome outcome = outcomeOf(transport, recipients, failure, (System.nanoTime() - start) / 1_000_000);
        if (failure == null) {
            pool.release(session);
        } else {
            pool.discard(session);
        }
        return outcome;
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

    private SmtpOutcome submitInNewSession(MimeMessage message, List<InternetAddress> recipients, boolean utf8) {
        long start = System.nanoTime();
        TrackingSmtpTransport transport = newTransport(utf8 ? utf8Session : session);
        MessagingException failure = null;
        try {
            connect(transport);
            if (utf8 && !transport.supportsExtension("SMTPUTF8")) {
                return SmtpOutcome.lacksExtension("the message has a non-ASCII address and needs SMTPUTF8 (RFC 6531), "
                        + "which " + spec.label() + " does not offer", (System.nanoTime() - start) / 1_000_000);
            }
            transport.sendMessage(message, recipients.toArray(Address[]::new));
        } catch (MessagingException e) {
            failure = e;
        } finally {
            closeQuietly(transport);
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        return outcomeOf(transport, recipients, failure, millis);
    }

    /** A session that carries no message: EHLO, STARTTLS, AUTH, NOOP, QUIT. Used to probe a half-open endpoint. */
    public SmtpOutcome probe() {
        long start = System.nanoTime();
        TrackingSmtpTransport transport = newTransport(session);
        MessagingException failure = null;
        try {
            connect(transport);
            int code = transport.simpleCommand("NOOP");
            if (code != 250) {
                failure = new MessagingException("NOOP answered " + transport.getLastServerResponse());
            }
        } catch (MessagingException e) {
            failure = e;
        } finally {
            closeQuietly(transport);
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        if (failure == null) {
            return new SmtpOutcome(OutcomeClass.SENT, SmtpStep.AUTH, null, List.of(), List.of(), List.of(), millis,
                    "probe succeeded");
        }
        if (failure instanceof NoToken noToken) {
            return noToken.outcome(millis);
        }
        SmtpStep step = transport.step();
        SmtpReply reply = transport.replyToCurrentStep();
        return new SmtpOutcome(SmtpReplyClassifier.classifyFailure(step.isSessionSetup() ? step : SmtpStep.EHLO, reply),
                step, reply, List.of(), List.of(), List.of(), millis, describe(failure));
    }

    private TrackingSmtpTransport newTransport(Session session) {
        return new TrackingSmtpTransport(session, new URLName("smtp", spec.host(), spec.port(), null, null, null));
    }

    private void connect(TrackingSmtpTransport transport) throws MessagingException {
        Optional<EndpointSpec.Credentials> credentials;
        try {
            credentials = spec.credentials().get();
        } catch (TokenSource.TokenUnavailable e) {
            throw new NoToken(e);
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

    private static SmtpOutcome outcomeOf(TrackingSmtpTransport t, List<InternetAddress> recipients,
            MessagingException failure, long millis) {
        SmtpStep step = t.step();
        Map<String, SmtpReply> rcpt = t.recipientReplies();
        List<String> accepted = new ArrayList<>();
        List<RecipientReply> rejected = new ArrayList<>();
        List<RecipientReply> deferred = new ArrayList<>();
        for (InternetAddress address : recipients) {
            SmtpReply reply = rcpt.get(address.getAddress());
            if (reply == null || reply.positive()) {
                accepted.add(address.getAddress());
            } else {
                RecipientReply r = new RecipientReply(address.getAddress(), reply.code(), reply.enhancedCode(),
                        reply.text());
                (reply.transientFailure() ? deferred : rejected).add(r);
            }
        }
        SmtpReply reply = t.replyToCurrentStep();
        if (step == SmtpStep.DOT && reply != null) {
            OutcomeClass cls = SmtpReplyClassifier.classifyMessageReply(reply);
            return new SmtpOutcome(cls, step, reply, accepted, rejected, deferred, millis,
                    cls == OutcomeClass.SENT ? null : describe(failure));
        }
        if (step == SmtpStep.RCPT && rcpt.size() == recipients.size() && accepted.isEmpty()) {
            OutcomeClass cls = everyRecipientFailed(deferred);
            return new SmtpOutcome(cls, step, reply, accepted, rejected, deferred, millis, "every recipient was refused");
        }
        if (failure instanceof NoToken noToken) {
            return noToken.outcome(millis);
        }
        OutcomeClass cls = SmtpReplyClassifier.classifyFailure(step, reply);
        return new SmtpOutcome(cls, step, reply, List.of(), List.of(), List.of(), millis, describe(failure));
    }

    /**
     * No XOAUTH2 token, so no session: a token endpoint that refused the client is a {@code config_error} (its
     * settings are wrong), one that failed or could not be reached leaves the endpoint down for now.
     */
    static final class NoToken extends MessagingException {
        private final boolean refused;

        NoToken(TokenSource.TokenUnavailable cause) {
            super("no OAuth2 access token for XOAUTH2: " + cause.getMessage());
            this.refused = cause.refused();
        }

        SmtpOutcome outcome(long millis) {
            return new SmtpOutcome(refused ? OutcomeClass.CONFIG_ERROR : OutcomeClass.ENDPOINT_DOWN, SmtpStep.AUTH, null,
                    List.of(), List.of(), List.of(), millis, getMessage());
        }
    }

    private static OutcomeClass everyRecipientFailed(List<RecipientReply> deferred) {
        if (deferred.isEmpty()) {
            return OutcomeClass.REJECTED;
        }
        boolean throttled = deferred.stream()
                .anyMatch(r -> new SmtpReply(r.smtpCode(), r.smtpEnhancedCode(), r.smtpReply()).throttling());
        return throttled ? OutcomeClass.THROTTLED : OutcomeClass.TRANSIENT;
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
