package io.submissionrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.submissionrouter.testing.RouterTestBase;
import io.submissionrouter.testing.RouterTestResources;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Health and metrics on the management port, the operator endpoints on the HTTP port and never the other way round
 * (as the router runs outside the tests), so that a NetworkPolicy can admit each from different sources.
 */
@QuarkusTest
@TestProfile(ManagementInterfaceTest.ManagementOn.class)
class ManagementInterfaceTest extends RouterTestBase {

    static final int MANAGEMENT_PORT = freePort();

    public static class ManagementOn implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.management.enabled", "true",
                    "quarkus.management.test-port", String.valueOf(MANAGEMENT_PORT));
        }
    }

    @Test
    void healthAndMetricsAreOnTheManagementPortAndTheOperatorEndpointsOnlyOnTheHttpPort() {
        String bearer = "Bearer " + RouterTestResources.ADMIN_TOKEN;
        String management = "http://127.0.0.1:" + MANAGEMENT_PORT;
        assertThat(RestAssured.get(management + "/q/health/live").statusCode()).isEqualTo(200);
        assertThat(RestAssured.get(management + "/q/metrics").asString()).contains("submission_jobs_total");
        assertThat(RestAssured.given().header("Authorization", bearer).get(management + "/admin/endpoints")
                .statusCode()).isEqualTo(404);

        assertThat(RestAssured.get("/q/health/live").statusCode()).isEqualTo(404);
        assertThat(RestAssured.get("/q/metrics").statusCode()).isEqualTo(404);
        assertThat(RestAssured.given().header("Authorization", bearer).get("/admin/endpoints").statusCode())
                .isEqualTo(200);
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
