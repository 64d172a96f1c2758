package io.submissionrouter.smtp;

import io.submissionrouter.config.CredentialSource;
import io.submissionrouter.config.SessionSettings;
import io.submissionrouter.config.TlsMode;
import io.submissionrouter.config.TrustStores;
import io.submissionrouter.testing.TestSmtpServer;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/** The endpoint of a test server and a one-line message, for the tests that run SMTP sessions without Quarkus. */
final class TestEndpoints {

    private TestEndpoints() {
    }

    /** The primary endpoint on {@code server}: STARTTLS trusting {@code trustPem} (a resource), short timeouts. */
    static SessionSettings spec(TestSmtpServer server, String trustPem, CredentialSource credentials) {
        return spec(server.port(), trustPem, credentials);
    }

    /** The primary endpoint on a server listening on {@code port}, as {@link #spec(TestSmtpServer, String, CredentialSource)}. */
    static SessionSettings spec(int port, String trustPem, CredentialSource credentials) {
        return spec(port, TlsMode.STARTTLS, trustPem, credentials);
    }

    /** As {@link #spec(int, String, CredentialSource)}, with {@code tls}. */
    static SessionSettings spec(int port, TlsMode tls, String trustPem, CredentialSource credentials) {
        return new SessionSettings("default", "primary", "127.0.0.1", port, tls, credentials, java.util.List.of(),
                TrustStores.socketFactory(Optional.of(resource(trustPem)), "submission.smtp.trust-pem"), true,
                Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(2),
                Optional.empty());
    }

    static CredentialSource password(String password) {
        return new CredentialSource("submission.smtp", Optional.of(TestSmtpServer.USER), Optional.of(password),
                Optional.empty(), Optional.empty());
    }

    /** Sends a short message to {@code to} through {@code submitter}. */
    static SmtpOutcome send(SmtpSubmitter submitter, String to) throws Exception {
        return submitter.submit(message(to, "hello"), List.of(new InternetAddress(to)), Long.MAX_VALUE);
    }

    /** A message to {@code to} with {@code text} for its body. */
    static SubmissionMessage message(String to, String text) throws Exception {
        SubmissionMessage m = new SubmissionMessage(Session.getInstance(new Properties()), "<" + to + "@test>");
        m.setFrom(new InternetAddress("noreply@shop.example"));
        m.setSubject("hello");
        m.setText(text);
        m.saveChanges();
        return m;
    }

    static String resource(String name) {
        try {
            return Path.of(TestEndpoints.class.getResource(name).toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
