package io.submissionrouter.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.submissionrouter.config.SubmissionConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Without {@code submission.admin.token} the operator endpoints do not exist (404), whatever the caller sends. */
class AdminResourceTest {

    @Test
    void everyOperatorEndpointIsAbsentWithoutAToken() throws Exception {
        for (String token : new String[] {null, "", "  "}) {
            AdminResource admin = new AdminResource(config(token), null, null, null);
            for (String authorization : new String[] {null, "Bearer ", "Bearer anything"}) {
                assertThat(admin.endpoints(authorization).getStatus()).isEqualTo(404);
                assertThat(admin.suspend(authorization, "default", "primary", "1m").getStatus()).isEqualTo(404);
                assertThat(admin.resume(authorization, "default", "primary").getStatus()).isEqualTo(404);
                assertThat(admin.replayDlq(authorization, List.of(), List.of(), null, true).getStatus()).isEqualTo(404);
            }
        }
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
}
