package io.submissionrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.submissionrouter.testing.Jobs;
import io.submissionrouter.testing.RouterTestBase;
import io.submissionrouter.testing.RouterTestResources;
import io.submissionrouter.testing.TestSmtpServer;
import io.submissionrouter.testing.TestTokenEndpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Providers' ways in: a group behind TLS from the first byte (465-style, {@code tls=implicit}), and a group that
 * authenticates with XOAUTH2, its tokens from a local OAuth2 token endpoint (client credentials) fetched again
 * before they expire.
 */
@QuarkusTest
@TestProfile(ProviderAuthTest.Providers.class)
class ProviderAuthTest extends RouterTestBase {

    static final String MAILBOX = "noreply@shop.example";
    /** Tokens live 4 s and are fetched again 1 s before they expire. */
    static final Duration TOKEN_LIFE = Duration.ofSeconds(4);

    static TestSmtpServer implicit;
    static TestSmtpServer oauth;
    static TestTokenEndpoint tokens;

    public static class Providers implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(Servers.class));
        }

        @Override
        public Map<String, String> getConfigOverrides() {
            // a session per message, so every message authenticates and token refresh shows
            // the local token endpoint speaks plain http
            return Map.of("submission.smtp.pool.max-connections", "0", "submission.smtp.allow-plaintext", "true");
        }
    }

    public static class Servers implements QuarkusTestResourceLifecycleManager {
        @Override
        public Map<String, String> start() {
            implicit = TestSmtpServer.startImplicitTls("implicit");
            oauth = TestSmtpServer.start("oauth");
            tokens = TestTokenEndpoint.start(TOKEN_LIFE);
            oauth.acceptBearer(tokens::valid);
            Map<String, String> config = new HashMap<>();
            config.put("submission.relays.smtps.primary.host", "127.0.0.1");
            config.put("submission.relays.smtps.primary.port", String.valueOf(implicit.port()));
            config.put("submission.relays.smtps.fallback.port", String.valueOf(implicit.port()));
            config.put("submission.relays.smtps.tls", "implicit");
            config.put("submission.relays.smtps.username", TestSmtpServer.USER);
            config.put("submission.relays.smtps.password", TestSmtpServer.PASSWORD);
            config.put("submission.relays.m365.primary.host", "127.0.0.1");
            config.put("submission.relays.m365.primary.port", String.valueOf(oauth.port()));
            config.put("submission.relays.m365.fallback.port", String.valueOf(oauth.port()));
            config.put("submission.relays.m365.username", MAILBOX);
            config.put("submission.relays.m365.oauth2.token-url", tokens.url());
            config.put("submission.relays.m365.oauth2.client-id", TestTokenEndpoint.CLIENT_ID);
            config.put("submission.relays.m365.oauth2.client-secret", TestTokenEndpoint.CLIENT_SECRET);
            config.put("submission.relays.m365.oauth2.scope", TestTokenEndpoint.SCOPE);
            config.put("submission.relays.m365.oauth2.refresh-before", "1s");
            return config;
        }

        @Override
        public void stop() {
            implicit.close();
            oauth.close();
            tokens.close();
        }
    }

    @BeforeEach
    void serversUp() {
        implicit.reset();
        oauth.reset();
        tokens.refuse(false);
    }

    @Test
    void sendsThroughAnEndpointWithTlsFromTheFirstByte() {
        String jobId = Jobs.newJobId("implicit-tls");
        kafka.sendJob(jobId, Jobs.json(Jobs.job(jobId).put("relay", "smtps")));
        JsonNode result = kafka.awaitResult(jobId, Duration.ofSeconds(20));
        assertThat(result.path("status").asText()).isEqualTo("SENT");
        assertThat(result.path("endpoint").path("port").asInt()).isEqualTo(implicit.port());
        assertThat(implicit.received()).hasSize(1);
        assertThat(implicit.received().get(0).text()).contains(jobId);
        assertThat(implicit.logins()).isEqualTo(1);
        // nothing reached the SMTP session outside TLS: the front takes only a TLS handshake
        assertThat(implicit.receivedInPlaintext()).isEmpty();
    }

    @Test
    void authenticatesWithXoauth2TokensFromTheTokenEndpointAndFetchesANewOneBeforeItExpires() throws Exception {
        int before = tokens.issued().size();
        List<String> first = sendAll("xoauth2-a", 3);
        for (String jobId : first) {
            assertThat(kafka.awaitResult(jobId, Duration.ofSeconds(20)).path("status").asText()).isEqualTo("SENT");
        }
        assertThat(oauth.bearerLogins()).hasSize(3).allMatch(l -> l.startsWith(MAILBOX + " token-"));
        // three sessions, one token: it is kept, not asked for every session
        assertThat(tokens.issued().size() - before).isEqualTo(1);
        String token = tokens.issued().get(tokens.issued().size() - 1);
        assertThat(oauth.bearerLogins()).containsOnly(MAILBOX + " " + token);

        Thread.sleep(TOKEN_LIFE.toMillis()); // past its expiry: the server would refuse it now
        assertThat(tokens.valid(token)).isFalse();
        String later = sendAll("xoauth2-b", 1).get(0);
        assertThat(kafka.awaitResult(later, Duration.ofSeconds(20)).path("status").asText()).isEqualTo("SENT");
        assertThat(kafka.attempts(later)).extracting(a -> a.path("outcome").asText()).containsExactly("sent");
        String renewed = tokens.issued().get(tokens.issued().size() - 1);
        assertThat(renewed).isNotEqualTo(token);
        assertThat(oauth.bearerLogins()).endsWith(MAILBOX + " " + renewed);
        String log = Files.readString(Path.of(RouterTestResources.LOG_FILE));
        assertThat(log).doesNotContain(token).doesNotContain(TestTokenEndpoint.CLIENT_SECRET);
    }

    @Test
    void aTokenEndpointThatRefusesTheClientIsAConfigErrorNamingTheSettings() throws InterruptedException {
        Thread.sleep(TOKEN_LIFE.toMillis()); // a token kept from an earlier test is due for renewal by now
        tokens.refuse(true);
        String jobId = Jobs.newJobId("xoauth2-refused");
        kafka.sendJob(jobId, Jobs.json(Jobs.job(jobId).put("relay", "m365")));
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> kafka.attempts(jobId).size() >= 2);
        assertThat(kafka.attempts(jobId).subList(0, 2)).allSatisfy(a -> {
            assertThat(a.path("outcome").asText()).isEqualTo("config_error");
            assertThat(a.path("step").asText()).isEqualTo("auth");
        });
        assertThat(oauth.received()).isEmpty();
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> Files.readString(Path.of(RouterTestResources.LOG_FILE))
                .contains("submission.relays.m365.oauth2.token-url refused the client"));

        tokens.refuse(false); // the secret is fixed: the job waiting for its group goes out
        assertThat(kafka.awaitResult(jobId, Duration.ofSeconds(30)).path("status").asText()).isEqualTo("SENT");
        assertThat(oauth.received()).hasSize(1);
    }

    private static List<String> sendAll(String prefix, int n) {
        List<String> ids = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            String jobId = Jobs.newJobId(prefix);
            kafka.sendJob(jobId, Jobs.json(Jobs.job(jobId).put("relay", "m365")));
            ids.add(jobId);
        }
        return ids;
    }
}
