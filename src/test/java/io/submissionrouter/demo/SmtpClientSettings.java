package io.submissionrouter.demo;

import io.submissionrouter.testing.TestSmtpServer;
import java.io.IOException;
import java.io.InputStream;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Properties;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * The Jakarta Mail settings every contender of the benchmark uses, as a user would write them for a submission
 * endpoint: STARTTLS required, AUTH, the server's certificate and host name checked (against the test CA),
 * timeouts. The contenders other than the router share them, so they differ only in how they use sessions.
 */
final class SmtpClientSettings {

    static final String USER = TestSmtpServer.USER;
    static final String PASSWORD = TestSmtpServer.PASSWORD;

    private SmtpClientSettings() {
    }

    static Properties properties(String host, int port) {
        Properties p = new Properties();
        p.put("mail.smtp.host", host);
        p.put("mail.smtp.port", String.valueOf(port));
        p.put("mail.smtp.auth", "true");
        p.put("mail.smtp.starttls.enable", "true");
        p.put("mail.smtp.starttls.required", "true");
        p.put("mail.smtp.ssl.checkserveridentity", "true");
        p.put("mail.smtp.ssl.socketFactory", trustingTestCa());
        p.put("mail.smtp.connectiontimeout", "5000");
        p.put("mail.smtp.timeout", "30000");
        p.put("mail.smtp.writetimeout", "30000");
        return p;
    }

    /** TLS that trusts the test servers' CA (a class-path resource of the tests) and nothing else. */
    private static SSLSocketFactory trustingTestCa() {
        try (InputStream pem = SmtpClientSettings.class.getResourceAsStream("/tls/smtp-ca.pem")) {
            KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
            trusted.load(null, null);
            int i = 0;
            for (Certificate ca : CertificateFactory.getInstance("X.509").generateCertificates(pem)) {
                trusted.setCertificateEntry("ca-" + i++, ca);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trusted);
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(null, tmf.getTrustManagers(), null);
            return tls.getSocketFactory();
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot load the test CA", e);
        }
    }
}
