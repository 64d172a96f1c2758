package io.submissionrouter.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Settings resolve as CONTRACT 5.1 says, and a bad one stops startup with one line naming it. */
class RelaySettingsTest {

    /** For settings without {@code submission.smtp.discover-domain}. */
    private static final SrvDiscovery NO_DISCOVERY = domain -> {
        throw new IllegalStateException("no discovery configured");
    };
    /** Refuses any {@code oauth2} settings: no token client here. */
    private static final TokenSource.Factory NO_TOKENS = (setting, settings) -> () -> {
        throw new TokenSource.TokenUnavailable("no OAuth2 client in this context", false);
    };

    private static SubmissionConfig config(Map<String, String> props) {
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .withMapping(SubmissionConfig.class)
                .withConverter(Duration.class, 200, new DurationConverter()) // as Quarkus registers it
                .withSources(new PropertiesConfigSource(props, "test", 100))
                .build();
        return config.getConfigMapping(SubmissionConfig.class);
    }

    /** The default group without discovery or OAuth2 tokens. */
    private static List<SessionSettings> defaultGroup(SubmissionConfig c) {
        return defaultGroup(c, NO_DISCOVERY, NO_TOKENS);
    }

    private static List<SessionSettings> defaultGroup(SubmissionConfig c, SrvDiscovery d, TokenSource.Factory t) {
        return RelaySettings.defaultGroup(c, d, t);
    }

    /** A relay group without OAuth2 tokens. */
    private static List<SessionSettings> relayGroup(SubmissionConfig c, String name, SubmissionConfig.Relay relay) {
        return relayGroup(c, name, relay, NO_TOKENS);
    }

    private static List<SessionSettings> relayGroup(SubmissionConfig c, String name, SubmissionConfig.Relay relay,
            TokenSource.Factory t) {
        return RelaySettings.relayGroup(c, name, relay, t);
    }

    @Test
    void defaultsToPort587ThenThePrimaryHostOn2525WithStartTls() {
        List<SessionSettings> specs = defaultGroup(config(Map.of("submission.smtp.primary.host", "smtp.example.net")));
        assertThat(specs).extracting(SessionSettings::name).containsExactly("primary", "fallback");
        assertThat(specs.get(0).port()).isEqualTo(587);
        assertThat(specs.get(1).host()).isEqualTo("smtp.example.net");
        assertThat(specs.get(1).port()).isEqualTo(2525);
        assertThat(specs).allMatch(s -> s.tls() == TlsMode.STARTTLS && s.verifyIdentity());
        assertThat(specs.get(0).connectTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(specs.get(0).readTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(specs.get(0).dataTimeout()).isEqualTo(Duration.ofMinutes(10));
        assertThat(specs.get(0).credentials().get()).isEmpty();
    }

    /** Host-name checks go off only where plaintext is allowed too: a developer's laptop, never by one setting. */
    @Test
    void refusesToSkipHostNameChecksUnlessPlaintextIsAllowed() {
        assertThatThrownBy(() -> defaultGroup(config(Map.of("submission.smtp.primary.host", "smtp.example.net",
                "submission.smtp.verify-identity", "false")))).isInstanceOf(InvalidSettingException.class)
                .hasMessageContaining("submission.smtp.verify-identity").hasMessageContaining("allow-plaintext");
        List<SessionSettings> laptop = defaultGroup(config(Map.of("submission.smtp.primary.host",
                "localhost", "submission.smtp.verify-identity", "false", "submission.smtp.allow-plaintext", "true")));
        assertThat(laptop).noneMatch(SessionSettings::verifyIdentity);
    }

    @Test
    void takesTheHostsAndPortsASubmissionDomainPublishes() {
        SrvDiscovery two = domain -> {
            assertThat(domain).isEqualTo("shop.example");
            return List.of(new SrvDiscovery.Target("smtp1.shop.example", 587),
                    new SrvDiscovery.Target("smtp2.shop.example", 26));
        };
        List<SessionSettings> specs = defaultGroup(
                config(Map.of("submission.smtp.discover-domain", "shop.example")), two, NO_TOKENS);
        assertThat(specs).extracting(SessionSettings::host).containsExactly("smtp1.shop.example", "smtp2.shop.example");
        assertThat(specs).extracting(SessionSettings::port).containsExactly(587, 26);

        SrvDiscovery one = domain -> List.of(new SrvDiscovery.Target("smtp.shop.example", 1587));
        specs = defaultGroup(config(Map.of("submission.smtp.discover-domain", "shop.example",
                "submission.smtp.fallback.port", "2526")), one, NO_TOKENS);
        assertThat(specs).extracting(SessionSettings::host).containsExactly("smtp.shop.example", "smtp.shop.example");
        assertThat(specs).extracting(SessionSettings::port).containsExactly(1587, 2526);

        assertThatThrownBy(() -> defaultGroup(config(Map.of("submission.smtp.discover-domain",
                "shop.example", "submission.smtp.primary.host", "a.example")), one, NO_TOKENS))
                .isInstanceOf(InvalidSettingException.class)
                .hasMessageContaining("submission.smtp.discover-domain").hasMessageContaining("primary.host");
    }

    @Test
    void appliesPerEndpointOverrides() {
        List<SessionSettings> specs = defaultGroup(config(Map.of(
                "submission.smtp.primary.host", "a.example", "submission.smtp.fallback.host", "b.example",
                "submission.smtp.fallback.port", "2526", "submission.smtp.username", "u",
                "submission.smtp.password", "p", "submission.smtp.fallback.username", "u2",
                "submission.smtp.fallback.password", "p2")));
        assertThat(specs.get(1).host()).isEqualTo("b.example");
        assertThat(specs.get(1).port()).isEqualTo(2526);
        assertThat(specs.get(0).credentials().get().orElseThrow().username()).isEqualTo("u");
        assertThat(specs.get(1).credentials().get().orElseThrow().username()).isEqualTo("u2");
        assertThat(specs.get(1).credentials().get().orElseThrow().toString()).doesNotContain("p2");
    }

    @Test
    void aRelayGroupHasItsOwnEndpointsAndCredentialsAndNeverTheDefaultGroupsPassword() {
        SubmissionConfig c = config(Map.of("submission.smtp.primary.host", "transactional.example",
                "submission.smtp.username", "tx", "submission.smtp.password", "tx-secret",
                "submission.relays.bulk.primary.host", "bulk.example"));
        List<SessionSettings> bulk = relayGroup(c, "bulk", c.relays().get("bulk"));
        assertThat(bulk).extracting(SessionSettings::relay).containsOnly("bulk");
        assertThat(bulk).extracting(SessionSettings::host).containsOnly("bulk.example");
        assertThat(bulk).extracting(SessionSettings::port).containsExactly(587, 2525);
        assertThat(bulk).allMatch(s -> s.credentials().get().isEmpty());
        assertThat(bulk).allMatch(s -> s.tls() == TlsMode.STARTTLS);
    }

    @Test
    void refusesARelayGroupWithoutPrimaryHostOrWithABadName() {
        SubmissionConfig c = config(Map.of("submission.smtp.primary.host", "a",
                "submission.relays.bulk.fallback.host", "b", "submission.relays.Bulk.primary.host", "c"));
        assertThatThrownBy(() -> relayGroup(c, "bulk", c.relays().get("bulk")))
                .hasMessageStartingWith("Invalid setting submission.relays.bulk.primary.host");
        assertThatThrownBy(() -> relayGroup(c, "Bulk", c.relays().get("Bulk")))
                .hasMessageContaining("[a-z0-9]+");
    }

    @Test
    void acceptsDaysInDurations() {
        SubmissionConfig c = config(Map.of("submission.smtp.primary.host", "a", "submission.retry.max-age", "7d",
                "submission.breaker.open-duration", "PT45S"));
        assertThat(c.retry().maxAge()).isEqualTo(Duration.ofDays(7));
        assertThat(c.breaker().openDuration()).isEqualTo(Duration.ofSeconds(45));
    }

    @Test
    void refusesAMissingPrimaryHostNamingTheSettingAndItsVariable() {
        assertThatThrownBy(() -> defaultGroup(config(Map.of())))
                .isInstanceOf(InvalidSettingException.class)
                .hasMessage("Invalid setting submission.smtp.primary.host (env SUBMISSION_SMTP_PRIMARY_HOST): is required: "
                        + "the host of the primary submission endpoint");
    }

    @Test
    void refusesPlaintextUnlessAllowed() {
        assertThatThrownBy(() -> defaultGroup(config(Map.of("submission.smtp.primary.host", "a",
                "submission.smtp.tls", "none"))))
                .hasMessageStartingWith("Invalid setting submission.smtp.tls (env SUBMISSION_SMTP_TLS): 'none'");
        List<SessionSettings> specs = defaultGroup(config(Map.of("submission.smtp.primary.host", "a",
                "submission.smtp.tls", "none", "submission.smtp.allow-plaintext", "true")));
        assertThat(specs.get(0).tls()).isEqualTo(TlsMode.NONE);
    }

    @Test
    void refusesAUserNameWithoutPassword() {
        assertThatThrownBy(() -> defaultGroup(config(Map.of("submission.smtp.primary.host", "a",
                "submission.smtp.username", "u"))))
                .hasMessageContaining("submission.smtp.password").hasMessageNotContaining("\n");
    }

    @Test
    void refusesAnUnreadableTrustPem() {
        assertThatThrownBy(() -> defaultGroup(config(Map.of("submission.smtp.primary.host", "a",
                "submission.smtp.trust-pem", "/nonexistent/ca.pem"))))
                .hasMessageStartingWith("Invalid setting submission.smtp.trust-pem (env SUBMISSION_SMTP_TRUST_PEM)");
    }

    @Test
    void refusesACredentialsFileThatCannotBeReadOrIsEmpty(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path empty = java.nio.file.Files.writeString(dir.resolve("password"), "  \n");
        java.nio.file.Path user = java.nio.file.Files.writeString(dir.resolve("username"), "router");
        assertThatThrownBy(() -> defaultGroup(config(Map.of("submission.smtp.primary.host", "a",
                "submission.smtp.username-file", user.toString(),
                "submission.smtp.password-file", dir.resolve("missing").toString()))))
                .isInstanceOf(InvalidSettingException.class)
                .hasMessageStartingWith("Invalid setting submission.smtp.password-file (env SUBMISSION_SMTP_PASSWORD_FILE)")
                .hasMessageContaining("cannot be read");
        assertThatThrownBy(() -> defaultGroup(config(Map.of("submission.smtp.primary.host", "a",
                "submission.smtp.username-file", user.toString(), "submission.smtp.password-file", empty.toString()))))
                .hasMessageStartingWith("Invalid setting submission.smtp.password-file").hasMessageContaining("is empty");
        assertThatThrownBy(() -> defaultGroup(config(Map.of("submission.smtp.primary.host", "a",
                "submission.smtp.username-file", dir.resolve("nouser").toString(),
                "submission.smtp.password", "p"))))
                .hasMessageStartingWith("Invalid setting submission.smtp.username-file");
    }

    @Test
    void aSecretFileThatBecomesUnreadableAfterStartupIsAConfigErrorNotASessionWithoutAuth(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path password = java.nio.file.Files.writeString(dir.resolve("password"), "s3cret");
        List<SessionSettings> specs = defaultGroup(config(Map.of("submission.smtp.primary.host", "a",
                "submission.smtp.username", "router", "submission.smtp.password-file", password.toString())));
        assertThat(specs.get(0).credentials().get().orElseThrow().password()).isEqualTo("s3cret");
        java.nio.file.Files.writeString(password, "");
        assertThatThrownBy(() -> specs.get(0).credentials().get()).isInstanceOf(CredentialsUnavailable.class)
                .hasMessageContaining("submission.smtp.password-file").hasMessageContaining("is empty")
                .satisfies(e -> assertThat(((CredentialsUnavailable) e).configError()).isTrue());
        java.nio.file.Files.delete(password);
        assertThatThrownBy(() -> specs.get(0).credentials().get()).isInstanceOf(CredentialsUnavailable.class)
                .hasMessageContaining("cannot be read").hasMessageNotContaining("s3cret");
    }

    @Test
    void aPollsJobsMustFitInMaxPollIntervalAndAJobMustBeAbleToWaitForTheDot() {
        Map<String, String> base = Map.of("submission.smtp.primary.host", "a");
        assertThat(defaultGroup(config(base))).hasSize(2); // the defaults fit
        refused(base, Map.of("submission.consumer.max-poll-records", "50"), "submission.consumer.max-poll-interval-ms");
        refused(base, Map.of("submission.consumer.job-timeout", "5m"), "submission.consumer.job-timeout");
        refused(base, Map.of("submission.consumer.max-poll-records", "0"), "submission.consumer.max-poll-records");
        assertThat(defaultGroup(config(Map.of("submission.smtp.primary.host", "a",
                "submission.consumer.max-poll-records", "10", "submission.consumer.job-timeout", "30s",
                "submission.smtp.data-timeout", "20s", "submission.smtp.read-timeout", "5s",
                "submission.kafka.write-retry-for", "30s")))).hasSize(2);
    }

    @Test
    void refusesContradictoryBreakerSettings() {
        assertThatThrownBy(() -> defaultGroup(config(Map.of("submission.smtp.primary.host", "a",
                "submission.breaker.failure-ratio", "1.5"))))
                .hasMessageStartingWith("Invalid setting submission.breaker.failure-ratio");
    }

    @Test
    void xoauth2TakesTokensFromTheGroupsTokenEndpointForItsMailbox() {
        Map<String, String> props = new java.util.HashMap<>(Map.of("submission.smtp.primary.host", "a",
                "submission.relays.m365.primary.host", "smtp.office365.com",
                "submission.relays.m365.username", "noreply@shop.example",
                "submission.relays.m365.oauth2.token-url", "https://login.example/tenant/oauth2/v2.0/token",
                "submission.relays.m365.oauth2.client-id", "app",
                "submission.relays.m365.oauth2.client-secret", "secret",
                "submission.relays.m365.oauth2.scope", "https://outlook.office365.com/.default"));
        SubmissionConfig c = config(props);
        List<String> asked = new java.util.ArrayList<>();
        TokenSource.Factory tokens = (setting, o) -> {
            asked.add(setting + " " + o.clientId().orElseThrow() + " " + o.scope().orElseThrow());
            return () -> "token-1";
        };
        List<SessionSettings> specs = relayGroup(c, "m365", c.relays().get("m365"), tokens);
        assertThat(asked).containsExactly("submission.relays.m365.oauth2 app [https://outlook.office365.com/.default]");
        assertThat(specs).allSatisfy(s -> {
            assertThat(s.authMechanisms()).containsExactly("XOAUTH2");
            assertThat(s.credentials().get()).contains(new SessionSettings.Credentials("noreply@shop.example", "token-1"));
        });
    }

    @Test
    void refusesIncompleteOrContradictoryOAuth2Settings() {
        Map<String, String> base = Map.of("submission.smtp.primary.host", "a",
                "submission.smtp.oauth2.token-url", "https://login.example/token",
                "submission.smtp.oauth2.client-id", "app", "submission.smtp.oauth2.client-secret", "s",
                "submission.smtp.username", "me@shop.example");
        assertThat(defaultGroup(config(base), NO_DISCOVERY, (s, o) -> () -> "t"))
                .hasSize(2);
        refused(base, Map.of("submission.smtp.password", "p"), "submission.smtp.password");
        refused(base, Map.of("submission.smtp.username", ""), "submission.smtp.username");
        refused(base, Map.of("submission.smtp.oauth2.client-secret", ""), "submission.smtp.oauth2.client-secret");
        refused(base, Map.of("submission.smtp.oauth2.token-url", "login.example/token"), "submission.smtp.oauth2.token-url");
        refused(base, Map.of("submission.smtp.oauth2.token-url", "http://login.example/token"),
                "submission.smtp.oauth2.token-url");
        refused(base, Map.of("submission.smtp.auth-mechanisms", "PLAIN"), "submission.smtp.auth-mechanisms");
        refused(Map.of("submission.smtp.primary.host", "a", "submission.smtp.oauth2.client-id", "app"), Map.of(),
                "submission.smtp.oauth2.token-url");
        refused(Map.of("submission.smtp.primary.host", "a", "submission.smtp.auth-mechanisms", "XOAUTH2"), Map.of(),
                "submission.smtp.auth-mechanisms");
        refused(Map.of("submission.smtp.primary.host", "a", "submission.smtp.auth-mechanisms", "CRAM-MD5"), Map.of(),
                "submission.smtp.auth-mechanisms");
    }

    @Test
    void authMechanismsAreSetPerGroupAndPerEndpoint() {
        List<SessionSettings> specs = defaultGroup(config(Map.of("submission.smtp.primary.host", "a",
                "submission.smtp.auth-mechanisms", "plain,login", "submission.smtp.fallback.auth-mechanisms", "LOGIN")));
        assertThat(specs.get(0).authMechanisms()).containsExactly("PLAIN", "LOGIN");
        assertThat(specs.get(1).authMechanisms()).containsExactly("LOGIN");
        assertThat(defaultGroup(config(Map.of("submission.smtp.primary.host", "a"))).get(0)
                .authMechanisms()).isEmpty();
    }

    private static void refused(Map<String, String> base, Map<String, String> change, String setting) {
        Map<String, String> props = new java.util.HashMap<>(base);
        props.putAll(change);
        assertThatThrownBy(() -> defaultGroup(config(props), NO_DISCOVERY,
                (s, o) -> () -> "t")).isInstanceOf(InvalidSettingException.class)
                .hasMessageStartingWith("Invalid setting " + setting);
    }
}
