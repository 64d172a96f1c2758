package io.submissionrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.submissionrouter.testing.Jobs;
import io.submissionrouter.testing.RouterTestBase;
import io.submissionrouter.testing.TestSmtpServer;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * submission.smtp.discover-domain: the default group's endpoints come from the domain's
 * {@code _submission._tcp} SRV records (RFC 6186), served by the test DNS server, instead of primary.host.
 */
@QuarkusTest
@TestProfile(SrvDiscoveryTest.Discover.class)
class SrvDiscoveryTest extends RouterTestBase {

    public static class Discover implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("submission.smtp.discover-domain", "localhost",
                    "submission.smtp.primary.host", "",
                    "submission.smtp.primary.port", "",
                    "submission.smtp.fallback.port", "");
        }
    }

    @Test
    void submitsToTheEndpointsTheDomainPublishes() {
        assertThat(endpoint("primary").spec().host()).isEqualTo("localhost");
        assertThat(endpoint("primary").spec().port()).isEqualTo(primary().port());
        assertThat(endpoint("fallback").spec().host()).isEqualTo("localhost");
        assertThat(endpoint("fallback").spec().port()).isEqualTo(fallback().port());

        String jobId = Jobs.newJobId("srv");
        kafka.sendJob(jobId, Jobs.json(Jobs.job(jobId)));
        assertThat(kafka.awaitResult(jobId, Duration.ofSeconds(20)).path("status").asText()).isEqualTo("SENT");
        assertThat(primary().received()).hasSize(1);

        primary().mode(TestSmtpServer.Mode.REFUSE);
        String failover = Jobs.newJobId("srv-fallback");
        kafka.sendJob(failover, Jobs.json(Jobs.job(failover)));
        assertThat(kafka.awaitResult(failover, Duration.ofSeconds(20)).path("status").asText()).isEqualTo("SENT");
        assertThat(fallback().received()).hasSize(1);
    }
}
