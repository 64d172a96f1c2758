package io.submissionrouter.smtp;

import jakarta.mail.MessagingException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.commons.pool2.BasePooledObjectFactory;
import org.apache.commons.pool2.PooledObject;
import org.apache.commons.pool2.impl.DefaultPooledObject;
import org.apache.commons.pool2.impl.GenericObjectPool;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;

/**
 * Authenticated sessions with one endpoint, kept open and reused for the next message, on Apache Commons Pool 2. A
 * session is handed out again while it has carried fewer than {@code maxMessages} messages and is younger than
 * {@code maxAge}; if it was idle longer than {@code checkAfterIdle} only after the server answered {@code RSET} with
 * 250 within {@code rsetTimeout}, else MAIL's reply is the check (the borrower replaces it if MAIL finds it closed).
 * One idle longer than {@code idleTimeout} is closed ({@code QUIT}). A session the server cut is replaced; one that
 * stays silent is the endpoint down, so the job fails over at once. A session that met any failure is never reused.
 * Each endpoint has its own pool, so a failover never takes a connection of the endpoint that failed.
 */
final class SmtpConnectionPool implements AutoCloseable {

    /** Opens a session: connect, EHLO, STARTTLS, AUTH. */
    @FunctionalInterface
    interface Connector {
        void connect(TrackingSmtpTransport transport) throws MessagingException;
    }

    /** A session that could not be opened, with the transport that tells at which step and with which reply. */
    static final class ConnectFailed extends Exception {
        final transient TrackingSmtpTransport transport;
        final MessagingException failure;

        ConnectFailed(TrackingSmtpTransport transport, MessagingException cause) {
            super(cause);
            this.transport = transport;
            this.failure = cause;
        }
    }

    /** One open session and what it has carried. */
    static final class Pooled {
        final TrackingSmtpTransport transport;
        private long openedAt;
        /** System.nanoTime() when its last message went through. */
        private long lastUsed;
        private int messages;
        private volatile boolean connected;
        /** This borrow skipped the RSET check: MAIL is the first command of a session that may have been closed. */
        boolean unchecked;

        Pooled(TrackingSmtpTransport transport) {
            this.transport = transport;
        }
    }

    private final SmtpSubmitter.PoolLimits limits;
    private final Duration rsetTimeout;
    private final Connector connector;
    private final GenericObjectPool<Pooled> pool;
    private final AtomicInteger open = new AtomicInteger();

    /**
     * @param limits      {@code submission.smtp.pool.*}
     * @param rsetTimeout how long a kept session may take to answer RSET (the endpoint's connect-timeout)
     */
    SmtpConnectionPool(Supplier<TrackingSmtpTransport> transports, Connector connector,
            SmtpSubmitter.PoolLimits limits, Duration rsetTimeout) {
        this.limits = limits;
        this.rsetTimeout = rsetTimeout;
        this.connector = connector;
        GenericObjectPoolConfig<Pooled> config = new GenericObjectPoolConfig<>();
        config.setMaxTotal(limits.maxConnections());
        config.setMaxIdle(limits.maxConnections());
        config.setMinIdle(0);
        config.setLifo(true); // the most recently used session first: the others may idle out
        config.setBlockWhenExhausted(true); // each borrower waits at most its maxWait (borrow)
        config.setTestOnBorrow(false); // checked in borrow(), so that a new session is not sent RSET at once
        config.setMinEvictableIdleDuration(limits.idleTimeout());
        config.setTimeBetweenEvictionRuns(evictionInterval(limits.idleTimeout()));
        config.setNumTestsPerEvictionRun(limits.maxConnections());
        config.setJmxEnabled(false);
        config.setEvictorShutdownTimeout(Duration.ofSeconds(1));
        this.pool = new GenericObjectPool<>(new Factory(transports), config);
        pool.setSwallowedExceptionListener(e -> { }); // a failing QUIT on close changes nothing
    }

    /** No session became free within the time the borrower could wait. */
    static final class Exhausted extends Exception {
        Exhausted(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * A session ready for MAIL: an idle one within its limits (checked with RSET if it idled longer than
     * {@code checkAfterIdle}, or if {@code check}), or a new one. Waits at most {@code maxWait} for a session to be
     * free; every read of the session ends by {@code deadlineNanos}.
     *
     * @throws ConnectFailed when a new session could not be opened
     * @throws Exhausted     when every session stayed in use for {@code maxWait}
     */
    Pooled borrow(Duration maxWait, long deadlineNanos, boolean check) throws ConnectFailed, Exhausted {
        while (true) {
            Pooled p;
            try {
                p = pool.borrowObject(maxWait);
            } catch (java.util.NoSuchElementException e) {
                throw new Exhausted("all " + limits.maxConnections() + " sessions (submission.smtp.pool.max-connections) "
                        + "stayed in use for " + maxWait.toMillis() + " ms");
            } catch (Exception e) {
                throw new IllegalStateException("the SMTP connection pool failed", e);
            }
            try {
                if (ready(p, deadlineNanos, check)) {
                    return p;
                }
            } catch (RuntimeException e) {
                discard(p); // never lost to the pool, whatever happened
                throw e;
            }
            discard(p);
        }
    }

    /** Opens a new entry's session, or checks a kept one with RSET; false when it must be replaced. */
    private boolean ready(Pooled p, long deadlineNanos, boolean check) throws ConnectFailed {
        p.transport.deadline(deadlineNanos);
        p.unchecked = false;
        if (!p.connected) {
            connect(p); // ready for MAIL
            return true;
        }
        if (!withinLimits(p)) {
            return false;
        }
        if (!check && System.nanoTime() - p.lastUsed < limits.checkAfterIdle().toNanos()) {
            // used a moment ago: MAIL's reply is the check (no RSET round trip), waited for read-timeout as every
            // reply but the dot's (CONTRACT 5.1): a server slow to answer under load is not an endpoint down
            p.unchecked = true;
            p.transport.beginMessage();
            return true;
        }
        TrackingSmtpTransport.Liveness alive = p.transport.rset((int) rsetTimeout.toMillis());
        if (alive == TrackingSmtpTransport.Liveness.CLOSED) {
            return false;
        }
        if (alive == TrackingSmtpTransport.Liveness.ALIVE) {
            p.transport.beginMessage();
            return true;
        }
        discard(p);
        p.transport.beginMessage(); // classified at MAIL, without a reply: RSET never stands for a step
        // OUT_OF_TIME: the job waited long for this session, its own time is out (job_timeout), the endpoint is not to
        // blame. SILENT: packets dropped, server hung; waiting for a new session's connect-timeout would only double
        // the wait: the endpoint is down now, and its breaker must hear of it
        throw new ConnectFailed(p.transport, alive == TrackingSmtpTransport.Liveness.OUT_OF_TIME
                ? new MessagingException("the job's time ran out before a kept session answered RSET",
                        new java.net.SocketTimeoutException("the job's time"))
                : new MessagingException("a kept session did not answer RSET within " + rsetTimeout.toMillis()
                        + " ms"));
    }

    /** The message went through: the session may carry the next one. */
    void release(Pooled p) {
        p.messages++;
        p.lastUsed = System.nanoTime();
        pool.returnObject(p);
    }

    /** The session met a failure (or its limits): closed, never reused. */
    void discard(Pooled p) {
        try {
            pool.invalidateObject(p);
        } catch (Exception e) {
            // closing a broken session may fail; it is out of the pool either way
        }
    }

    /** Sessions open now, idle or in use. */
    int open() {
        return open.get();
    }

    /** Opens the session of a new pool entry; one that cannot be opened leaves the pool. */
    private void connect(Pooled p) throws ConnectFailed {
        try {
            connector.connect(p.transport);
            p.connected = true;
            p.openedAt = System.nanoTime();
            open.incrementAndGet();
        } catch (MessagingException e) {
            SmtpSubmitter.closeQuietly(p.transport); // it may have connected (credentials set, no AUTH offered)
            discard(p);
            throw new ConnectFailed(p.transport, e);
        } finally {
            SmtpSessions.forget();
        }
    }

    @Override
    public void close() {
        pool.close();
    }

    private boolean withinLimits(Pooled p) {
        return p.messages < limits.maxMessages() && System.nanoTime() - p.openedAt < limits.maxAge().toNanos();
    }

    private static Duration evictionInterval(Duration idleTimeout) {
        Duration half = idleTimeout.dividedBy(2);
        return half.compareTo(Duration.ofSeconds(5)) > 0 ? Duration.ofSeconds(5) : half.isZero() ? Duration.ofMillis(100) : half;
    }

    /**
     * Pool entries are sessions not yet opened: the borrower opens one ({@link #borrow}) and classifies its failure,
     * and an entry the pool adds on its own (Commons Pool replaces an invalidated one) costs no connection.
     */
    private final class Factory extends BasePooledObjectFactory<Pooled> {
        private final Supplier<TrackingSmtpTransport> transports;

        Factory(Supplier<TrackingSmtpTransport> transports) {
            this.transports = transports;
        }

        @Override
        public Pooled create() {
            return new Pooled(transports.get());
        }

        @Override
        public PooledObject<Pooled> wrap(Pooled p) {
            return new DefaultPooledObject<>(p);
        }

        @Override
        public void destroyObject(PooledObject<Pooled> p) {
            Pooled pooled = p.getObject();
            if (pooled.connected) {
                pooled.connected = false;
                open.decrementAndGet();
                SmtpSubmitter.closeQuietly(pooled.transport);
            }
        }
    }
}
