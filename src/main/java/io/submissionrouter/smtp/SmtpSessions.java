package io.submissionrouter.smtp;

import io.submissionrouter.config.SessionSettings;
import io.submissionrouter.config.TlsMode;
import jakarta.mail.Session;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.util.Properties;
import java.util.concurrent.ScheduledExecutorService;
import javax.net.SocketFactory;
import javax.net.ssl.SSLSocketFactory;

/**
 * Builds the Angus Mail {@link Session} of an endpoint (TLS policy, timeouts), and the JVM-wide Jakarta Mail setting.
 * Its socket factories make every socket of a session a {@link SessionSocket} (write timeout, and every reply bounded
 * in time and size) and remember, per thread, the one in use: the session arms it before each reply, and a kept
 * session can be checked before reuse. A session runs on one thread from connect to QUIT.
 */
public final class SmtpSessions {

    /** Angus Mail's switch for raw UTF-8 in headers and SMTP commands, with SMTPUTF8 on MAIL FROM. */
    public static final String ALLOW_UTF8 = "mail.mime.allowutf8";
    private static final String STREAM_PROVIDER = "jakarta.mail.util.StreamProvider";
    private static final ThreadLocal<SessionSocket> CURRENT = new ThreadLocal<>();
    /** The job's deadline of the session starting on this thread ({@link System#nanoTime()}). */
    private static final ThreadLocal<Long> JOB_DEADLINE = ThreadLocal.withInitial(() -> Long.MAX_VALUE);

    private SmtpSessions() {
    }

    /**
     * Jakarta Mail asks its FactoryFinder for the StreamProvider every time a part is written, and without the
     * system property {@code jakarta.mail.util.StreamProvider} the finder runs a ServiceLoader scan of the class
     * path each time: 15% of the router's CPU in a profile. This names Angus Mail's provider (the one the scan
     * finds), unless the property is set already.
     */
    public static void nameStreamProvider() {
        if (System.getProperty(STREAM_PROVIDER) == null) {
            System.setProperty(STREAM_PROVIDER, "org.eclipse.angus.mail.util.MailStreamProvider");
        }
    }

    /**
     * The endpoint's session; with {@code utf8}, the one for messages that need SMTPUTF8 (UTF-8 addresses on MAIL
     * FROM and RCPT TO). {@code writeTimeouts}: the scheduler that times every socket write out ({@code write-timeout});
     * null gives each socket a timer thread of its own (Angus Mail's default), which a pod with dozens of kept
     * sessions should not have.
     */
    static Session create(SessionSettings spec, ScheduledExecutorService writeTimeouts, boolean utf8) {
        nameStreamProvider();
        Properties p = new Properties();
        if (utf8) {
            p.put(ALLOW_UTF8, "true");
        }
        p.put("mail.transport.protocol", "smtp");
        p.put("mail.smtp.host", spec.host());
        p.put("mail.smtp.port", String.valueOf(spec.port()));
        p.put("mail.smtp.connectiontimeout", millis(spec.connectTimeout().toMillis()));
        p.put("mail.smtp.timeout", millis(spec.readTimeout().toMillis()));
        // no mail.smtp.writetimeout: every socket is a SessionSocket, which times writes out itself (Angus Mail's
        // WriteTimeoutSocket) and bounds every reply in time and size
        p.put(TrackingSmtpTransport.DATA_TIMEOUT, millis(spec.dataTimeout().toMillis()));
        int writeTimeout = Integer.parseInt(millis(spec.writeTimeout().toMillis()));
        p.put("mail.smtp.socketFactory", new PlainSockets(writeTimeout, writeTimeouts));
        p.put("mail.smtp.socketFactory.fallback", "false");
        // Partial recipient rejection: deliver to the accepted ones and report the others.
        p.put("mail.smtp.sendpartial", "true");
        p.put("mail.smtp.quitwait", "false");
        spec.ehloName().ifPresent(name -> p.put("mail.smtp.localhost", name));
        if (!spec.authMechanisms().isEmpty()) {
            p.put("mail.smtp.auth.mechanisms", String.join(" ", spec.authMechanisms()));
            // Angus Mail leaves XOAUTH2 off unless asked; the password is then the access token
            p.put("mail.smtp.auth.xoauth2.disable", String.valueOf(!spec.authMechanisms().contains("XOAUTH2")));
        }
        switch (spec.tls()) {
            case STARTTLS -> {
                p.put("mail.smtp.starttls.enable", "true");
                p.put("mail.smtp.starttls.required", "true");
            }
            // Angus opens a plain socket itself and layers TLS through the factory below, which makes it a
            // SessionSocket first and bounds the handshake by read-timeout
            case IMPLICIT -> p.put("mail.smtp.ssl.enable", "true");
            case NONE -> p.put("mail.smtp.starttls.enable", "false");
            default -> throw new IllegalStateException("unknown TLS mode " + spec.tls());
        }
        if (spec.tls() != TlsMode.NONE) {
            p.put("mail.smtp.ssl.socketFactory", new TlsSockets(spec.sslSocketFactory(), spec.readTimeout().toMillis(),
                    writeTimeout, writeTimeouts));
            p.put("mail.smtp.ssl.checkserveridentity", String.valueOf(spec.verifyIdentity()));
        }
        return Session.getInstance(p);
    }

    private static String millis(long millis) {
        return String.valueOf(Math.max(1, Math.min(Integer.MAX_VALUE, millis)));
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

    /** The plain sockets of an endpoint's sessions; Angus Mail connects them itself, with connect-timeout. */
    private static final class PlainSockets extends SocketFactory {
        private final int writeTimeout;
        private final ScheduledExecutorService writeTimeouts;

        PlainSockets(int writeTimeout, ScheduledExecutorService writeTimeouts) {
            this.writeTimeout = writeTimeout;
            this.writeTimeouts = writeTimeouts;
        }

        @Override
        public Socket createSocket() throws IOException {
            SessionSocket socket = SessionSocket.over(new Socket(), writeTimeout, writeTimeouts);
            CURRENT.set(socket);
            return socket;
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

    /**
     * Layers TLS through the endpoint's factory over a {@link SessionSocket}, and remembers it. For STARTTLS the socket
     * is a {@link PlainSockets} one already, armed by the session; with TLS from the first byte (465) Angus Mail
     * connects a plain socket itself, which is wrapped here the same way first, and armed for the handshake.
     */
    private static final class TlsSockets extends SSLSocketFactory {
        private final SSLSocketFactory delegate;
        private final long handshakeMillis;
        private final int writeTimeout;
        private final ScheduledExecutorService writeTimeouts;

        TlsSockets(SSLSocketFactory delegate, long handshakeMillis, int writeTimeout,
                ScheduledExecutorService writeTimeouts) {
            this.delegate = delegate;
            this.handshakeMillis = handshakeMillis;
            this.writeTimeout = writeTimeout;
            this.writeTimeouts = writeTimeouts;
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
