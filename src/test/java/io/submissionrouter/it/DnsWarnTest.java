package io.submissionrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.submissionrouter.testing.Jobs;
import io.submissionrouter.testing.RouterTestBase;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** With submission.dns.mx-check=warn a domain without MX is logged and counted, and the job is sent anyway. */
@QuarkusTest
@TestProfile(DnsWarnTest.Warn.class)
class DnsWarnTest extends RouterTestBase {

    public static class Warn implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("submission.dns.mx-check", "warn");
        }
    }

    @Test
    void sendsToADomainWithoutMxAndCountsIt() {
        String jobId = Jobs.newJobId("dns-warn");
        ObjectNode job = Jobs.job(jobId);
        job.putArray("to").add("someone@gone.example");
        kafka.sendJob(jobId, Jobs.json(job));
        JsonNode result = kafka.awaitResult(jobId, Duration.ofSeconds(20));

        assertThat(result.path("status").asText()).isEqualTo("SENT");
        assertThat(primary().received()).hasSize(1);
        assertThat(RestAssured.get("/q/metrics").asString())
                .containsPattern("submission_dns_checks_total\\{[^}]*result=\"no_mx\"[^}]*} [1-9]");
    }
}
