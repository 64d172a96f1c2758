package io.submissionrouter.config;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * Resolves the endpoints of each relay group ({@code default} from {@code submission.smtp.*}, the others from
 * {@code submission.relays.<name>.*}) from {@link SubmissionConfig}, applying per-endpoint overrides, and refuses
 * missing or contradictory settings with one clear line.
 */
public final class RelaySettings {

    public static final String DEFAULT_RELAY = "default";
    static final int PRIMARY_PORT = 587;
    static final int FALLBACK_PORT = 2525;
    private static final String SMTP_TLS = "submission.smtp.tls";
    private static final String SMTP_TRUST_PEM = "submission.smtp.trust-pem";
    private static final Pattern RELAY_NAME = Pattern.compile("[a-z0-9]+");

    private RelaySettings() {
    }

    /**
     * The {@code default} group, primary first, then fallback: the order in which the router asks their breakers.
     * With {@code submission.smtp.discover-domain} set, the hosts and ports not set explicitly come from
     * {@code discovery}: its first target is the primary, its second (if any) the fallback. Setting both the domain
     * and {@code primary.host} is refused as contradictory. XOAUTH2 tokens come from {@code tokens}.
     */
    public static List<SessionSettings> defaultGroup(SubmissionConfig config, SrvDiscovery discovery,
            TokenSource.Factory tokens) {
        checkGeneral(config);
        SubmissionConfig.Smtp smtp = config.smtp();
        Group g = group(config, DEFAULT_RELAY, "submission.smtp", smtp, smtp.usernameFile(), smtp.passwordFile(),
                tokens);
        Optional<String> domain = smtp.discoverDomain().map(String::strip).filter(d -> !d.isEmpty());
        if (domain.isEmpty()) {
            return endpoints(config, g, smtp);
        }
        if (smtp.primary().host().filter(h -> !h.isBlank()).isPresent()) {
            throw new InvalidSettingException("submission.smtp.discover-domain",
                    "cannot be used with submission.smtp.primary.host; set one of them");
        }
        List<SrvDiscovery.Target> found = discovery.find(domain.get());
        SrvDiscovery.Target first = found.get(0);
        SrvDiscovery.Target second = found.size() > 1 ? found.get(1) : null;
        SessionSettings primary = resolve(config, g, "primary", smtp.primary(), first.host(), first.port());
        SessionSettings fallback = resolve(config, g, "fallback", smtp.fallback(),
                second == null ? first.host() : second.host(), second == null ? FALLBACK_PORT : second.port());
        return List.of(primary, fallback);
    }

    /**
     * The group {@code submission.relays.<name>}: its own endpoints, credentials and TLS; the timeouts,
     * the identity check and (unless set) the TLS mode and trust of {@code submission.smtp.*}. Credentials are never
     * taken from the default group, so one provider's password never goes to another.
     */
    public static List<SessionSettings> relayGroup(SubmissionConfig config, String name, SubmissionConfig.Relay relay,
            TokenSource.Factory tokens) {
        String prefix = "submission.relays." + name;
        if (!RELAY_NAME.matcher(name).matches()) {
            throw new InvalidSettingException(prefix, "relay group names match [a-z0-9]+");
        }
        if (name.equals(DEFAULT_RELAY)) {
            throw new InvalidSettingException(prefix, "the default group is configured by submission.smtp.*");
        }
        return endpoints(config, group(config, name, prefix, relay, Optional.empty(), Optional.empty(), tokens), relay);
    }

    /** What a group's endpoints inherit unless they override it, and the setting each value came from. */
    private record Group(String relay, String prefix, TlsMode tls, String tlsSetting, Optional<String> username,
            Optional<String> password, Optional<String> usernameFile, Optional<String> passwordFile,
            Optional<String> trustPem, String trustPemSetting, Optional<List<String>> authMechanisms,
            Optional<TokenSource> oauth2) {
    }

    /**
     * The group {@code relay} set under {@code prefix}: TLS mode and trust unless set from {@code submission.smtp.*}
     * (for the default group, that is itself), {@code starttls} when set nowhere. Only the default group has
     * credential files.
     */
    private static Group group(SubmissionConfig config, String relay, String prefix, SubmissionConfig.Relay s,
            Optional<String> usernameFile, Optional<String> passwordFile, TokenSource.Factory tokens) {
        SubmissionConfig.Smtp smtp = config.smtp();
        positiveRate(prefix + ".rate-limit", s.rateLimit());
        return new Group(relay, prefix, s.tls().or(smtp::tls).orElse(TlsMode.STARTTLS),
                s.tls().isPresent() ? prefix + ".tls" : SMTP_TLS, s.username(), s.password(), usernameFile,
                passwordFile, s.trustPem().or(smtp::trustPem),
                s.trustPem().isPresent() ? prefix + ".trust-pem" : SMTP_TRUST_PEM, s.authMechanisms(),
                oauth2(prefix, s.oauth2(), s.username(), s.password(), passwordFile, smtp.allowPlaintext(), tokens));
    }

    /**
     * The group's token source when {@code <prefix>.oauth2.token-url} is set: then {@code client-id},
     * {@code client-secret} and {@code username} (the mailbox) are required and a password is refused.
     */
    private static Optional<TokenSource> oauth2(String prefix, SubmissionConfig.OAuth2 o, Optional<String> username,
            Optional<String> password, Optional<String> passwordFile, boolean allowPlaintext, TokenSource.Factory tokens) {
        String setting = prefix + ".oauth2";
        if (o.tokenUrl().filter(u -> !u.isBlank()).isEmpty()) {
            if (o.clientId().isPresent() || o.clientSecret().isPresent()) {
                throw new InvalidSettingException(setting + ".token-url", "is required when " + setting
                        + ".client-id or .client-secret is set");
            }
            return Optional.empty();
        }
        String url = o.tokenUrl().get().strip();
        if (!url.startsWith("https://") && !url.startsWith("http://")) {
            throw new InvalidSettingException(setting + ".token-url", "must be an https URL of a token endpoint");
        }
        if (url.startsWith("http://") && !allowPlaintext) {
            throw new InvalidSettingException(setting + ".token-url", "http:// sends the client secret in plaintext; "
                    + "use https, or set submission.smtp.allow-plaintext=true (a developer's laptop only)");
        }
        required(setting + ".client-id", o.clientId(), "is required with " + setting + ".token-url");
        required(setting + ".client-secret", o.clientSecret(), "is required with " + setting + ".token-url");
        required(prefix + ".username", username,
                "is required with " + setting + ".token-url: the mailbox XOAUTH2 authenticates as");
        if (password.isPresent() || passwordFile.isPresent()) {
            throw new InvalidSettingException(prefix + ".password",
                    "cannot be used with " + setting + ".token-url: XOAUTH2 presents a token instead; set one of them");
        }
        positive(setting + ".refresh-before", o.refreshBefore());
        return Optional.of(tokens.create(setting, o));
    }

    private static List<SessionSettings> endpoints(SubmissionConfig config, Group g, SubmissionConfig.Relay relay) {
        SubmissionConfig.EndpointSettings p = relay.primary();
        String primaryHost = required(g.prefix() + ".primary.host", p.host(),
                "is required: the host of the primary submission endpoint");
        return List.of(resolve(config, g, "primary", p, primaryHost, PRIMARY_PORT),
                resolve(config, g, "fallback", relay.fallback(), primaryHost, FALLBACK_PORT));
    }

    private static SessionSettings resolve(SubmissionConfig config, Group g, String name,
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
        if (username.isPresent() != password.isPresent() && g.oauth2().isEmpty() && g.usernameFile().isEmpty()
                && g.passwordFile().isEmpty()) {
            String missing = username.isPresent() ? "password" : "username";
            throw new InvalidSettingException(g.prefix() + "." + missing,
                    "is required when " + g.prefix() + "." + (username.isPresent() ? "username" : "password")
                            + " is set");
        }
        Optional<String> trustPem = ep.trustPem().or(g::trustPem);
        List<String> mechanisms = mechanisms(ep.authMechanisms().isPresent() ? prefix + ".auth-mechanisms"
                : g.prefix() + ".auth-mechanisms", ep.authMechanisms().or(g::authMechanisms), g.oauth2().isPresent());
        java.util.function.Supplier<Optional<SessionSettings.Credentials>> credentials;
        if (g.oauth2().isPresent()) {
            String user = username.orElseThrow(); // XOAUTH2: a current access token in place of a password
            credentials = () -> Optional.of(new SessionSettings.Credentials(user, g.oauth2().get().token()));
        } else {
            CredentialSource files = new CredentialSource(g.prefix(), username, password, g.usernameFile(),
                    g.passwordFile());
            files.check(); // a Secret file that cannot be read stops startup, naming its setting
            credentials = files;
        }
        return new SessionSettings(g.relay(), name, ep.host().filter(h -> !h.isBlank()).orElse(defaultHost), port, tls,
                credentials, mechanisms,
                TrustStores.socketFactory(trustPem,
                        ep.trustPem().isPresent() ? prefix + ".trust-pem" : g.trustPemSetting()),
                smtp.verifyIdentity(), smtp.connectTimeout(), smtp.readTimeout(), smtp.dataTimeout(),
                smtp.writeTimeout(), smtp.ehloName());
    }

    /** SASL mechanisms Angus Mail knows, in upper case. */
    private static final Logger LOG = Logger.getLogger(RelaySettings.class);
    private static final List<String> MECHANISMS = List.of("LOGIN", "PLAIN", "DIGEST-MD5", "NTLM", "XOAUTH2");

    private static List<String> mechanisms(String setting, Optional<List<String>> configured, boolean oauth2) {
        List<String> list = configured.orElse(oauth2 ? List.of("XOAUTH2") : List.of()).stream()
                .flatMap(m -> java.util.Arrays.stream(m.split("[\\s,]+"))).filter(m -> !m.isEmpty())
                .map(m -> m.toUpperCase(java.util.Locale.ROOT)).distinct().toList();
        for (String m : list) {
            if (!MECHANISMS.contains(m)) {
                throw new InvalidSettingException(setting, m + " is not a mechanism the router speaks; use "
                        + String.join(", ", MECHANISMS));
            }
        }
        if (oauth2 && !list.equals(List.of("XOAUTH2"))) {
            throw new InvalidSettingException(setting, "must be XOAUTH2 (or unset) when oauth2 is set");
        }
        if (!oauth2 && list.contains("XOAUTH2")) {
            throw new InvalidSettingException(setting, "XOAUTH2 needs the group's oauth2.token-url, client-id and "
                    + "client-secret, which provide its tokens");
        }
        return list;
    }

    private static void checkGeneral(SubmissionConfig config) {
        SubmissionConfig.Smtp smtp = config.smtp();
        positive("submission.smtp.connect-timeout", smtp.connectTimeout());
        positive("submission.smtp.read-timeout", smtp.readTimeout());
        positive("submission.smtp.data-timeout", smtp.dataTimeout());
        positive("submission.smtp.write-timeout", smtp.writeTimeout());
        if (!smtp.verifyIdentity()) {
            if (!smtp.allowPlaintext()) {
                throw new InvalidSettingException("submission.smtp.verify-identity",
                        "false accepts a certificate issued for any host (whoever sits between the router and its "
                                + "servers reads credentials and mail); set submission.smtp.allow-plaintext=true to "
                                + "allow it (a developer's laptop only)");
            }
            LOG.warn("submission.smtp.verify-identity=false: no SMTP server's host name is checked against its "
                    + "certificate, in any relay group (a developer's laptop only)");
        }
        SubmissionConfig.Breaker b = config.breaker();
        atLeastOne("submission.breaker.window", b.window());
        if (!(b.failureRatio() > 0 && b.failureRatio() <= 1)) {
            throw new InvalidSettingException("submission.breaker.failure-ratio", "must be above 0 and at most 1");
        }
        atLeastOne("submission.breaker.half-open-probes", b.halfOpenProbes());
        positive("submission.breaker.open-duration", b.openDuration());
        if (!(config.throttle().minRate() > 0)) {
            throw new InvalidSettingException("submission.throttle.min-rate", "must be a positive number of messages per second");
        }
        positive("submission.throttle.recovery-interval", config.throttle().recoveryInterval());
        if (config.throttle().intakeWait().isNegative()) {
            throw new InvalidSettingException("submission.throttle.intake-wait", "must not be negative");
        }
        if (config.retry().delays().isEmpty()) {
            throw new InvalidSettingException("submission.retry.delays", "needs at least one delay");
        }
        atLeastOne("submission.retry.max-attempts", config.retry().maxAttempts());
        checkConsumer(config);
        atLeastOne("submission.limits.max-recipients", config.limits().maxRecipients());
    }

    /**
     * A pass of a job must be able to wait for a slow reply to the final dot, and a poll's jobs must be done within
     * {@code max.poll.interval.ms}, or Kafka would take the consumer's partitions away mid-job.
     */
    private static void checkConsumer(SubmissionConfig config) {
        SubmissionConfig.Smtp smtp = config.smtp();
        SubmissionConfig.Consumer c = config.consumer();
        Duration session = smtp.connectTimeout().plus(smtp.readTimeout()).plus(smtp.dataTimeout());
        if (c.jobTimeout().compareTo(session) < 0) {
            throw new InvalidSettingException("submission.consumer.job-timeout", "must be at least connect-timeout + "
                    + "read-timeout + data-timeout (" + session + "), so a slow reply to the final dot is waited for");
        }
        positive("submission.kafka.write-retry-for", config.kafka().writeRetryFor());
        positive("submission.kafka.ack-timeout", config.kafka().ackTimeout());
        atLeastOne("submission.consumer.max-poll-records", c.maxPollRecords());
        Duration poll = c.jobTimeout().plus(config.kafka().writeRetryFor()).multipliedBy(c.maxPollRecords());
        if (poll.toMillis() > c.maxPollIntervalMs()) {
            throw new InvalidSettingException("submission.consumer.max-poll-interval-ms", c.maxPollIntervalMs()
                    + " ms is less than what a poll's jobs may take: max-poll-records (" + c.maxPollRecords()
                    + ") x (submission.consumer.job-timeout + submission.kafka.write-retry-for) = " + poll.toMillis()
                    + " ms; raise it, or lower max-poll-records or job-timeout");
        }
    }

    private static void positiveRate(String setting, Optional<Double> rate) {
        if (rate.isPresent() && !(rate.get() > 0 && rate.get() < Double.POSITIVE_INFINITY)) {
            throw new InvalidSettingException(setting, "must be a positive number of messages per second");
        }
    }

    private static String required(String setting, Optional<String> value, String why) {
        return value.filter(v -> !v.isBlank()).orElseThrow(() -> new InvalidSettingException(setting, why));
    }

    private static void atLeastOne(String setting, int value) {
        if (value < 1) {
            throw new InvalidSettingException(setting, "must be at least 1");
        }
    }

    private static void positive(String setting, Duration d) {
        if (d.isNegative() || d.isZero()) {
            throw new InvalidSettingException(setting, "must be a positive duration");
        }
    }
}
