package io.submissionrouter.config;

import io.submissionrouter.smtp.EndpointSpec;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Resolves the endpoints of each relay group ({@code default} from {@code submission.smtp.*}, the others from
 * {@code submission.relays.<name>.*}) from {@link SubmissionConfig}, applying per-endpoint overrides, and refuses missing or contradictory settings with one clear line.
 */
public final class EndpointSpecs {

    public static final String DEFAULT_RELAY = "default";
    static final int PRIMARY_PORT = 587;
    static final int FALLBACK_PORT = 2525;
    private static final String SMTP_TLS = "submission.smtp.tls";
    private static final String SMTP_TRUST_PEM = "submission.smtp.trust-pem";
    private static final Pattern RELAY_NAME = Pattern.compile("[a-z0-9]+");

    private EndpointSpecs() {
    }

    /** Primary first, then fallback: the order in which the router asks their breakers. */
    public static List<EndpointSpec> defaultGroup(SubmissionConfig config) {
        return defaultGroup(config, EndpointDiscovery.NONE);
    }

    /**
     * As {@link #defaultGroup(SubmissionConfig)}; with {@code submission.smtp.discover-domain} set, the hosts
     * and ports not set explicitly come from {@code discovery}: its first target is the primary, its second
     * (if any) the fallback. Setting both the domain and {@code primary.host} is refused as contradictory.
     */
    public static List<EndpointSpec> defaultGroup(SubmissionConfig config, EndpointDiscovery discovery) {
        checkGeneral(config);
        SubmissionConfig.Smtp smtp = config.smtp();
        Group g = new Group(DEFAULT_RELAY, "submission.smtp", smtp.tls(), SMTP_TLS, smtp.username(), smtp.password(),
                smtp.usernameFile(), smtp.passwordFile(), smtp.trustPem(), SMTP_TRUST_PEM);
        Optional<String> domain = smtp.discoverDomain().map(String::strip).filter(d -> !d.isEmpty());
        if (domain.isEmpty()) {
            return endpoints(config, g, smtp.primary(), smtp.fallback());
        }
        if (smtp.primary().host().filter(h -> !h.isBlank()).isPresent()) {
            throw new InvalidSettingException("submission.smtp.discover-domain",
                    "cannot be used with submission.smtp.primary.host; set one of them");
        }
        List<EndpointDiscovery.Target> found = discovery.find(domain.get());
        EndpointDiscovery.Target first = found.get(0);
        EndpointDiscovery.Target second = found.size() > 1 ? found.get(1) : null;
        EndpointSpec primary = resolve(config, g, "primary", smtp.primary(), first.host(), first.port());
        EndpointSpec fallback = resolve(config, g, "fallback", smtp.fallback(),
                second == null ? first.host() : second.host(), second == null ? FALLBACK_PORT : second.port());
        return List.of(primary, fallback);
    }

    /**
     * The group {@code submission.relays.<name>}: its own endpoints, credentials and TLS; the timeouts,
     * the identity check and (unless set) the trust of {@code submission.smtp.*}. Credentials are never
     * taken from the default group, so one provider's password never goes to another.
     */
    public static List<EndpointSpec> relayGroup(SubmissionConfig config, String name, SubmissionConfig.Relay relay) {
        String prefix = "submission.relays." + name;
        if (!RELAY_NAME.matcher(name).matches()) {
            throw new InvalidSettingException(prefix, "relay group names match [a-z0-9]+");
        }
        if (name.equals(DEFAULT_RELAY)) {
            throw new InvalidSettingException(prefix, "the default group is configured by submission.smtp.*");
        }
        Group g = new Group(name, prefix, relay.tls().orElse(config.smtp().tls()),
                relay.tls().isPresent() ? prefix + ".tls" : SMTP_TLS, relay.username(), relay.password(),
                Optional.empty(), Optional.empty(), relay.trustPem().or(config.smtp()::trustPem),
                relay.trustPem().isPresent() ? prefix + ".trust-pem" : SMTP_TRUST_PEM);
        positiveRate(prefix + ".rate-limit", relay.rateLimit());
        return endpoints(config, g, relay.primary(), relay.fallback());
    }

    /** What a group's endpoints inherit unless they override it, and the setting each value came from. */
    private record Group(String relay, String prefix, TlsMode tls, String tlsSetting, Optional<String> username,
            Optional<String> password, Optional<String> usernameFile, Optional<String> passwordFile,
            Optional<String> trustPem, String trustPemSetting) {
    }

    private static List<EndpointSpec> endpoints(SubmissionConfig config, Group g, SubmissionConfig.EndpointSettings p,
            SubmissionConfig.EndpointSettings f) {
        String primaryHost = p.host().filter(h -> !h.isBlank()).orElseThrow(() ->
                new InvalidSettingException(g.prefix() + ".primary.host",
                        "is required: the host of the primary submission endpoint"));
        return List.of(resolve(config, g, "primary", p, primaryHost, PRIMARY_PORT),
                resolve(config, g, "fallback", f, primaryHost, FALLBACK_PORT));
    }

    private static EndpointSpec resolve(SubmissionConfig config, Group g, String name,
            SubmissionConfig.EndpointSettings ep, String defaultHost, int defaultPort) {
        SubmissionConfig.Smtp smtp = config.smtp();
        String prefix = g.prefix() + "." + name;
        int port = ep.port().orElse(defaultPort);
        if (port < 1 || port > 65535) {
            throw new InvalidSettingException(prefix + ".port", port + " is not a TCP port");
        }
        TlsMode tls = ep.tls().orElse(g.tls());
        if (tls == TlsMode.NONE && !smtp.allowPlaintext()) {
            throw new InvalidSettingException(ep.tls().isPresent() ? prefix + ".tls" : g.tlsSetting(),
                    "'none' sends credentials and mail in plaintext; set submission.smtp.allow-plaintext=true "
                            + "to allow it (a developer's laptop only)");
        }
        Optional<String> username = ep.username().or(g::username);
        Optional<String> password = ep.password().or(g::password);
        if (username.isPresent() != password.isPresent() && g.usernameFile().isEmpty()
                && g.passwordFile().isEmpty()) {
            String missing = username.isPresent() ? "password" : "username";
            throw new InvalidSettingException(g.prefix() + "." + missing,
                    "is required when " + g.prefix() + "." + (username.isPresent() ? "username" : "password")
                            + " is set");
        }
        Optional<String> trustPem = ep.trustPem().or(g::trustPem);
        return new EndpointSpec(g.relay(), name, ep.host().filter(h -> !h.isBlank()).orElse(defaultHost), port, tls,
                new CredentialSource(username, password, g.usernameFile(), g.passwordFile()),
                TrustStores.socketFactory(trustPem,
                        ep.trustPem().isPresent() ? prefix + ".trust-pem" : g.trustPemSetting()),
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
        positiveRate("submission.smtp.rate-limit", smtp.rateLimit());
        if (!(config.throttle().minRate() > 0)) {
            throw new InvalidSettingException("submission.throttle.min-rate", "must be a positive number of messages per second");
        }
        positive("submission.throttle.recovery-interval", config.throttle().recoveryInterval());
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

    private static void positiveRate(String setting, Optional<Double> rate) {
        if (rate.isPresent() && !(rate.get() > 0 && rate.get() < Double.POSITIVE_INFINITY)) {
            throw new InvalidSettingException(setting, "must be a positive number of messages per second");
        }
    }

    private static void positive(String setting, Duration d) {
        if (d.isNegative() || d.isZero()) {
            throw new InvalidSettingException(setting, "must be a positive duration");
        }
    }
}
