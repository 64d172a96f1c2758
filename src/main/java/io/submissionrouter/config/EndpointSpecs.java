package io.submissionrouter.config;

import io.submissionrouter.smtp.EndpointSpec;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Resolves the endpoints of the {@code default} relay group from {@link SubmissionConfig}, applying
 * per-endpoint overrides, and refuses missing or contradictory settings with one clear line.
 */
public final class EndpointSpecs {

    public static final String DEFAULT_RELAY = "default";
    static final int PRIMARY_PORT = 587;
    static final int FALLBACK_PORT = 2525;

    private EndpointSpecs() {
    }

    /** Primary first, then fallback: the order in which the router asks their breakers. */
    public static List<EndpointSpec> defaultGroup(SubmissionConfig config) {
        checkGeneral(config);
        SubmissionConfig.Smtp smtp = config.smtp();
        String primaryHost = smtp.primary().host().filter(h -> !h.isBlank()).orElseThrow(() ->
                new InvalidSettingException("submission.smtp.primary.host",
                        "is required: the host of the primary submission endpoint"));
        EndpointSpec primary = resolve(config, "primary", smtp.primary(), primaryHost, PRIMARY_PORT);
        EndpointSpec fallback = resolve(config, "fallback", smtp.fallback(), primaryHost, FALLBACK_PORT);
        return List.of(primary, fallback);
    }

    private static EndpointSpec resolve(SubmissionConfig config, String name, SubmissionConfig.EndpointSettings ep,
            String defaultHost, int defaultPort) {
        SubmissionConfig.Smtp smtp = config.smtp();
        String prefix = "submission.smtp." + name;
        int port = ep.port().orElse(defaultPort);
        if (port < 1 || port > 65535) {
            throw new InvalidSettingException(prefix + ".port", port + " is not a TCP port");
        }
        TlsMode tls = ep.tls().orElse(smtp.tls());
        if (tls == TlsMode.NONE && !smtp.allowPlaintext()) {
            throw new InvalidSettingException(ep.tls().isPresent() ? prefix + ".tls" : "submission.smtp.tls",
                    "'none' sends credentials and mail in plaintext; set submission.smtp.allow-plaintext=true "
                            + "to allow it (a developer's laptop only)");
        }
        Optional<String> username = ep.username().or(smtp::username);
        Optional<String> password = ep.password().or(smtp::password);
        if (username.isPresent() != password.isPresent() && smtp.usernameFile().isEmpty()
                && smtp.passwordFile().isEmpty()) {
            String missing = username.isPresent() ? "password" : "username";
            throw new InvalidSettingException("submission.smtp." + missing,
                    "is required when submission.smtp." + (username.isPresent() ? "username" : "password") + " is set");
        }
        Optional<String> trustPem = ep.trustPem().or(smtp::trustPem);
        return new EndpointSpec(DEFAULT_RELAY, name, ep.host().filter(h -> !h.isBlank()).orElse(defaultHost), port, tls,
                new CredentialSource(username, password, smtp.usernameFile(), smtp.passwordFile()),
                TrustStores.socketFactory(trustPem,
                        ep.trustPem().isPresent() ? prefix + ".trust-pem" : "submission.smtp.trust-pem"),
                smtp.verifyIdentity(), smtp.connectTimeout(), smtp.readTimeout(), smtp.dataTimeout(),
                smtp.writeTimeout(), smtp.ehloName());
    }

    private static void checkGeneral(SubmissionConfig config) {
        SubmissionConfig.Smtp smtp = config.smtp();
        positive("submission.smtp.connect-timeout", smtp.connectTimeout());
        positive("submission.smtp.read-timeout", smtp.readTimeout());
        positive("submission.smtp.data-timeout", smtp.dataTimeout());
        positive("submission.smtp.write-timeout", smtp.writeTimeout());
        SubmissionConfig.Breaker b = config.breaker();
        if (b.window() < 1) {
            throw new InvalidSettingException("submission.breaker.window", "must be at least 1");
        }
        if (!(b.failureRatio() > 0 && b.failureRatio() <= 1)) {
            throw new InvalidSettingException("submission.breaker.failure-ratio", "must be above 0 and at most 1");
        }
        if (b.halfOpenProbes() < 1) {
            throw new InvalidSettingException("submission.breaker.half-open-probes", "must be at least 1");
        }
        positive("submission.breaker.open-duration", b.openDuration());
        if (config.retry().delays().isEmpty()) {
            throw new InvalidSettingException("submission.retry.delays", "needs at least one delay");
        }
        if (config.retry().maxAttempts() < 1) {
            throw new InvalidSettingException("submission.retry.max-attempts", "must be at least 1");
        }
        if (config.limits().maxRecipients() < 1) {
            throw new InvalidSettingException("submission.limits.max-recipients", "must be at least 1");
        }
    }

    private static void positive(String setting, Duration d) {
        if (d.isNegative() || d.isZero()) {
            throw new InvalidSettingException(setting, "must be a positive duration");
        }
    }
}
