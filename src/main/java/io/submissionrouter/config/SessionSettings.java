package io.submissionrouter.config;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import javax.net.ssl.SSLSocketFactory;

/**
 * Everything needed to open a session with one submission endpoint, resolved from configuration.
 *
 * @param relay        relay group name
 * @param name         {@code primary} or {@code fallback}
 * @param credentials  read at every session, so rotated Secret files take effect without a restart; with XOAUTH2,
 *                     the password is a current access token
 * @param authMechanisms SASL mechanisms AUTH may use, in order; empty for Angus Mail's choice
 */
public record SessionSettings(
        String relay,
        String name,
        String host,
        int port,
        TlsMode tls,
        Supplier<Optional<Credentials>> credentials,
        List<String> authMechanisms,
        SSLSocketFactory sslSocketFactory,
        boolean verifyIdentity,
        Duration connectTimeout,
        Duration readTimeout,
        Duration dataTimeout,
        Duration writeTimeout,
        Optional<String> ehloName) {

    /** AUTH user name and password. {@link #toString()} never shows the password. */
    public record Credentials(String username, String password) {
        @Override
        public String toString() {
            return "Credentials[username=" + username + ", password=***]";
        }
    }

    /** Metric and log label, e.g. {@code default/primary}. */
    public String label() {
        return relay + "/" + name;
    }
}
