package io.submissionrouter.smtp;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import javax.net.SocketFactory;
import javax.net.ssl.SSLSocketFactory;

/**
 * Creates the plain sockets of SMTP sessions and remembers, per thread, the one in use, so that the
 * session can give the reply after the final dot its own timeout ({@code data-timeout}) while every
 * other reply keeps {@code read-timeout}, and a kept session can be checked before reuse. A session runs on one
 * thread from connect to QUIT. With TLS from the first byte (465), Angus Mail opens the socket itself and layers
 * TLS over it through {@link #tls}, which remembers the socket it is given in the same way.
 */
public final class SessionSocketFactory extends SocketFactory {

    private static final ThreadLocal<Socket> CURRENT = ThreadLocal.withInitial(() -> null);

    /** The socket of the session running on this thread, or null. */
    static Socket current() {
        return CURRENT.get();
    }

    static void forget() {
        CURRENT.remove();
    }

    /**
     * The TLS socket factory of an endpoint, remembering the socket each TLS session is layered over (for
     * STARTTLS the one this factory created; for implicit TLS the one Angus Mail connected).
     */
    public static SSLSocketFactory tls(SSLSocketFactory delegate) {
        return new Remembering(delegate);
    }

    @Override
    public Socket createSocket() {
        Socket socket = new Socket();
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

    /** Layers TLS through the endpoint's factory and remembers the socket under it. */
    private static final class Remembering extends SSLSocketFactory {
        private final SSLSocketFactory delegate;

        Remembering(SSLSocketFactory delegate) {
            this.delegate = delegate;
        }

        @Override
        public Socket createSocket(Socket s, String host, int port, boolean autoClose) throws IOException {
            CURRENT.set(s);
            return delegate.createSocket(s, host, port, autoClose);
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
