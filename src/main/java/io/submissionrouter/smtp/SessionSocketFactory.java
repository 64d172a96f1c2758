package io.submissionrouter.smtp;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import javax.net.SocketFactory;

/**
 * Creates the plain sockets of SMTP sessions and remembers, per thread, the one in use, so that the
 * session can give the reply after the final dot its own timeout ({@code data-timeout}) while every
 * other reply keeps {@code read-timeout}. A session runs on one thread from connect to QUIT.
 */
public final class SessionSocketFactory extends SocketFactory {

    private static final ThreadLocal<Socket> CURRENT = new ThreadLocal<>();

    /** The socket of the session running on this thread, or null. */
    static Socket current() {
        return CURRENT.get();
    }

    static void forget() {
        CURRENT.remove();
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
}
