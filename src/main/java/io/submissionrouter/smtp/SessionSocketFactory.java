package io.submissionrouter.smtp;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.util.concurrent.ScheduledExecutorService;
import javax.net.SocketFactory;
import javax.net.ssl.SSLSocketFactory;

/**
 * Creates the sockets of an endpoint's SMTP sessions, each a {@link SessionSocket} (write timeout, and every reply
 * bounded in time and size), and remembers, per thread, the one in use: the session arms it before each reply, and a
 * kept session can be checked before reuse. A session runs on one thread from connect to QUIT. With TLS from the first
 * byte (465), Angus Mail opens a plain socket itself and layers TLS over it through {@link #tls}, which wraps that
 * socket the same way first, and arms it for the handshake.
 */
public final class SessionSocketFactory extends SocketFactory {

    private static final ThreadLocal<SessionSocket> CURRENT = ThreadLocal.withInitial(() -> null);
    /** The job's deadline of the session starting on this thread ({@link System#nanoTime()}). */
    private static final ThreadLocal<Long> JOB_DEADLINE = ThreadLocal.withInitial(() -> Long.MAX_VALUE);

    private final int writeTimeout;
    private final ScheduledExecutorService writeTimeouts;

    /**
     * @param writeTimeout  milliseconds a write may take ({@code write-timeout})
     * @param writeTimeouts the pod's scheduler that times writes out; null: a timer thread per socket
     */
    public SessionSocketFactory(int writeTimeout, ScheduledExecutorService writeTimeouts) {
        this.writeTimeout = writeTimeout;
        this.writeTimeouts = writeTimeouts;
    }

    /** The socket of the session running on this thread, or null. */
    static SessionSocket current() {
        return CURRENT.get();
    }

    /** The session about to connect on this thread must be over by {@code nanoTime} (the job's time). */
    static void jobDeadline(long nanoTime) {
        JOB_DEADLINE.set(nanoTime);
    }

    static void forget() {
        CURRENT.remove();
        JOB_DEADLINE.remove();
    }

    /**
     * The TLS socket factory of an endpoint: for TLS from the first byte it wraps the socket Angus Mail connected in a
     * {@link SessionSocket} and arms it for the handshake ({@code handshakeMillis}); for STARTTLS the socket is this
     * factory's already, armed by the session.
     */
    public SSLSocketFactory tls(SSLSocketFactory delegate, long handshakeMillis) {
        return new Remembering(delegate, handshakeMillis);
    }

    @Override
    public Socket createSocket() throws IOException {
        SessionSocket socket = SessionSocket.over(new Socket(), writeTimeout, writeTimeouts);
        CURRENT.set(socket);
        return socket;
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        throw new UnsupportedOperationException("sessions connect with a timeout");
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        throw new UnsupportedOperationException("sessions connect with a timeout");
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        throw new UnsupportedOperationException("sessions connect with a timeout");
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) throws IOException {
        throw new UnsupportedOperationException("sessions connect with a timeout");
    }

    /** Layers TLS through the endpoint's factory over a {@link SessionSocket}, and remembers it. */
    private final class Remembering extends SSLSocketFactory {
        private final SSLSocketFactory delegate;
        private final long handshakeMillis;

        Remembering(SSLSocketFactory delegate, long handshakeMillis) {
            this.delegate = delegate;
            this.handshakeMillis = handshakeMillis;
        }

        @Override
        public Socket createSocket(Socket s, String host, int port, boolean autoClose) throws IOException {
            SessionSocket session;
            if (s instanceof SessionSocket own) {
                session = own; // STARTTLS: armed by the session after the server's 220
            } else {
                // TLS from the first byte: Angus connected a plain socket; the handshake follows at once
                session = SessionSocket.over(s, writeTimeout, writeTimeouts);
                session.expect("TLS handshake", handshakeMillis, JOB_DEADLINE.get(), SessionSocket.HANDSHAKE_BYTES);
            }
            CURRENT.set(session);
            return delegate.createSocket(session, host, port, autoClose);
        }

        @Override
        public String[] getDefaultCipherSuites() {
            return delegate.getDefaultCipherSuites();
        }

        @Override
        public String[] getSupportedCipherSuites() {
            return delegate.getSupportedCipherSuites();
        }

        @Override
        public Socket createSocket(String host, int port) {
            throw new UnsupportedOperationException("sessions connect with a timeout");
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress localHost, int localPort) {
            throw new UnsupportedOperationException("sessions connect with a timeout");
        }

        @Override
        public Socket createSocket(InetAddress host, int port) {
            throw new UnsupportedOperationException("sessions connect with a timeout");
        }

        @Override
        public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) {
            throw new UnsupportedOperationException("sessions connect with a timeout");
        }
    }
}
