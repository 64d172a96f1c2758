package io.submissionrouter.smtp;

import io.submissionrouter.config.SessionSettings;
import io.submissionrouter.config.TlsMode;
import jakarta.mail.Session;
import java.util.Properties;
import java.util.concurrent.ScheduledExecutorService;

/** Builds the Angus Mail {@link Session} of an endpoint (TLS policy, timeouts), and the JVM-wide Jakarta Mail setting. */
public final class SmtpSessions {

    /** Angus Mail's switch for raw UTF-8 in headers and SMTP commands, with SMTPUTF8 on MAIL FROM. */
    public static final String ALLOW_UTF8 = "mail.mime.allowutf8";
    private static final String STREAM_PROVIDER = "jakarta.mail.util.StreamProvider";

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
        SessionSocketFactory sockets = new SessionSocketFactory(
                Integer.parseInt(millis(spec.writeTimeout().toMillis())), writeTimeouts);
        p.put("mail.smtp.socketFactory", sockets);
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
            p.put("mail.smtp.ssl.socketFactory", sockets.tls(spec.sslSocketFactory(), spec.readTimeout().toMillis()));
            p.put("mail.smtp.ssl.checkserveridentity", String.valueOf(spec.verifyIdentity()));
        }
        return Session.getInstance(p);
    }

    private static String millis(long millis) {
        return String.valueOf(Math.max(1, Math.min(Integer.MAX_VALUE, millis)));
    }
}
