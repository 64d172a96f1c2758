package io.submissionrouter.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.submissionrouter.config.InvalidSettingException;
import io.submissionrouter.config.SubmissionConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Without {@code submission.admin.token} the operator endpoints do not exist (404), whatever the caller sends; a
 * weak token stops start-up; refused tokens are counted.
 */
class AdminResourceTest {

    private static final String STRONG = "Zk3fA9-qP2xL7mN4vB8cR1tY6wE5sH0jDgU";

    @Test
    void everyOperatorEndpointIsAbsentWithoutAToken() throws Exception {
        for (String token : new String[] {null, "", "  "}) {
            AdminResource admin = new AdminResource(config(token), null, null, null, new SimpleMeterRegistry());
            for (String authorization : new String[] {null, "Bearer ", "Bearer anything"}) {
                assertThat(admin.endpoints(authorization).getStatus()).isEqualTo(404);
                assertThat(admin.suspend(authorization, "default", "primary", "1m").getStatus()).isEqualTo(404);
                assertThat(admin.resume(authorization, "default", "primary").getStatus()).isEqualTo(404);
                assertThat(admin.replayDlq(authorization, List.of(), List.of(), null, true, null).getStatus()).isEqualTo(404);
            }
        }
    }

    @Test
    void aPlaceholderOrShortTokenStopsStartUpNamingTheSetting() {
        for (String weak : new String[] {"replace-me", "changeme", "test-admin-token", "a".repeat(40)}) {
            assertThatThrownBy(() -> new AdminResource(config(weak), null, null, null, new SimpleMeterRegistry()))
                    .isInstanceOf(InvalidSettingException.class).hasMessageContaining("submission.admin.token");
        }
    }

    @Test
    void everyRefusedTokenIsCounted() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        AdminResource admin = new AdminResource(config(STRONG), null, null, null, registry);
        for (String authorization : new String[] {null, "Bearer wrong", "Basic " + STRONG, STRONG}) {
            assertThat(admin.endpoints(authorization).getStatus()).isEqualTo(401);
        }
        assertThat(registry.get("submission.admin.refused").counter().count()).isEqualTo(4);
    }

    /** A token file is read on every request: a rotated Secret takes effect without a restart. */
    @Test
    void aTokenFileIsReadAgainAndAWeakOneTurnsTheEndpointsOff(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("admin-token");
        Files.writeString(file, STRONG + "\n");
        AdminToken token = new AdminToken(Optional.empty(), Optional.of(file.toString()));
        assertThat(accepts(token, STRONG)).isTrue();
        String rotated = STRONG.replace('A', 'Q');
        Files.writeString(file, rotated);
        assertThat(accepts(token, STRONG)).isFalse();
        assertThat(accepts(token, rotated)).isTrue();
        Files.writeString(file, "replace-me");
        assertThat(token.current()).isEmpty();
        assertThat(accepts(token, "replace-me")).isFalse();
        assertThatThrownBy(() -> new AdminToken(Optional.empty(), Optional.of(file.toString())))
                .isInstanceOf(InvalidSettingException.class).hasMessageContaining("submission.admin.token-file");
        Files.delete(file);
        assertThat(token.current()).isEmpty();
        assertThat(new AdminToken(Optional.empty(), Optional.of(file.toString())).current()).isEmpty();
        assertThatThrownBy(() -> new AdminToken(Optional.of(STRONG), Optional.of(file.toString())))
                .isInstanceOf(InvalidSettingException.class).hasMessageContaining("submission.admin.token-file");
    }

    private static SubmissionConfig config(String token) {
        Map<String, String> props = new java.util.HashMap<>(Map.of("submission.smtp.primary.host", "smtp.example"));
        if (token != null) {
            props.put("submission.admin.token", token);
        }
        return new SmallRyeConfigBuilder().withMapping(SubmissionConfig.class)
                .withConverter(Duration.class, 200, new DurationConverter())
                .withSources(new PropertiesConfigSource(props, "test", 100)).build()
                .getConfigMapping(SubmissionConfig.class);
    }

    /** Whether {@code presented} is the token in force (what AdminResource checks on every request). */
    private static boolean accepts(AdminToken token, String presented) {
        return token.current().filter(t -> AdminToken.same(presented, t)).isPresent();
    }
}
