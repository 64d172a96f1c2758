package io.submissionrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.submissionrouter.testing.Jobs;
import io.submissionrouter.testing.RouterTestBase;
import io.submissionrouter.testing.TestSmtpServer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Relay groups at their own rates: jobs routed by their {@code relay} to their group's endpoints; the
 * {@code bulk} group kept to its rate-limit while the {@code default} group is not held back; throttled answers
 * slow the group down (not its breaker) and it recovers.
 */
@QuarkusTest
@TestProfile(RelayRatesTest.BulkAtTenPerSecond.class)
class RelayRatesTest extends RouterTestBase {

    static final double BULK_RATE = 10;

    public static class BulkAtTenPerSecond implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("submission.relays.bulk.rate-limit", String.valueOf(BULK_RATE),
                    "submission.throttle.recovery-interval", "3s");
        }
    }

    @Test
    void eachGroupTakesItsOwnEndpointsAndBulkKeepsToItsRate() {
        // recovered from any throttling an earlier test caused
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> rate("bulk") == BULK_RATE);
        assertThat(RestAssured.get("/q/metrics").asString())
                .contains("submission_rate_limit{relay=\"default\"} +Inf");
        int bulkJobs = 31;
        List<String> bulkIds = new ArrayList<>();
        List<String> defaultIds = new ArrayList<>();
        for (int i = 0; i < bulkJobs; i++) {
            String bulkId = Jobs.newJobId("bulk-" + i);
            kafka.sendJob(bulkId, Jobs.json(Jobs.job(bulkId).put("relay", "bulk")));
            bulkIds.add(bulkId);
            if (i % 3 == 0) {
                String defaultId = Jobs.newJobId("default-" + i);
                kafka.sendJob(defaultId, Jobs.json(Jobs.job(defaultId)));
                defaultIds.add(defaultId);
            }
        }
        Instant lastBulk = Instant.MIN;
        for (String id : bulkIds) {
            JsonNode r = kafka.awaitResult(id, Duration.ofSeconds(30));
            assertThat(r.path("status").asText()).isEqualTo("SENT");
            assertThat(r.path("relay").asText()).isEqualTo("bulk");
            assertThat(r.path("endpoint").path("port").asInt()).isEqualTo(bulk().port());
            lastBulk = max(lastBulk, Instant.parse(r.path("completedAt").asText()));
        }
        Instant lastDefault = Instant.MIN;
        for (String id : defaultIds) {
            JsonNode r = kafka.awaitResult(id, Duration.ofSeconds(30));
            assertThat(r.path("relay").asText()).isEqualTo("default");
            assertThat(r.path("endpoint").path("port").asInt()).isEqualTo(primary().port());
            lastDefault = max(lastDefault, Instant.parse(r.path("completedAt").asText()));
        }
        // default jobs shared the partition with the bulk backlog but were not held up behind it: bulk jobs over
        // the rate waited in their group's waiting topic
        assertThat(lastDefault).isBefore(lastBulk.minusSeconds(1));
        assertThat(kafka.all(WAIT_BULK)).isNotEmpty();
        assertThat(RestAssured.get("/q/metrics").asString())
                .containsPattern("submission_rate_limited_total\\{relay=\"bulk\"} [1-9]");
        assertThat(bulk().received()).hasSize(bulkJobs);
        assertThat(primary().received()).hasSize(defaultIds.size());
        // 31 messages paced at 10 per second take at least 3 s from the first to the last
        List<Instant> at = bulk().received().stream().map(TestSmtpServer.Received::at)
                .sorted(Comparator.naturalOrder()).toList();
        assertThat(Duration.between(at.get(0), at.get(at.size() - 1)))
                .isGreaterThanOrEqualTo(Duration.ofMillis((long) ((bulkJobs - 1) / BULK_RATE * 1000) - 100));
        // and no second holds more than the rate (plus the one the pace may let in at a second's edge)
        for (Instant start : at) {
            long inSecond = at.stream().filter(t -> !t.isBefore(start) && t.isBefore(start.plusSeconds(1))).count();
            assertThat(inSecond).isLessThanOrEqualTo((long) BULK_RATE + 1);
        }
    }

    @Test
    void throttledAnswersSlowTheGroupDownWithoutTrippingItsBreakerAndItRecovers() {
        bulk().throttleNext(2, "454 4.7.0 Throttling failure: Maximum sending rate exceeded");
        String jobId = Jobs.newJobId("throttled");
        kafka.sendJob(jobId, Jobs.json(Jobs.job(jobId).put("relay", "bulk")));
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> rate("bulk") < BULK_RATE);
        assertThat(rate("bulk")).isLessThanOrEqualTo(BULK_RATE / 2);
        assertThat(groups.endpoint("bulk", "primary").breaker().stateCode()).isZero();

        JsonNode result = kafka.awaitResult(jobId, Duration.ofSeconds(30));
        assertThat(result.path("status").asText()).isEqualTo("SENT");
        assertThat(kafka.attempts(jobId)).extracting(a -> a.path("outcome").asText())
                .startsWith("throttled").endsWith("sent");
        assertThat(groups.endpoint("bulk", "primary").breaker().stateCode()).isZero();
        assertThat(groups.endpoint("bulk", "fallback").breaker().stateCode()).isZero();
        assertThat(rate("default")).isInfinite(); // other groups are not slowed down

        // Amazon SES's way of saying it: 454 without an enhanced code
        double slowed = rate("bulk");
        Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> rate("bulk") == BULK_RATE);
        assertThat(slowed).isLessThan(BULK_RATE);
        bulk().throttleNext(1, "454 Throttling failure: Maximum sending rate exceeded.");
        String ses = Jobs.newJobId("ses-throttled");
        kafka.sendJob(ses, Jobs.json(Jobs.job(ses).put("relay", "bulk")));
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> rate("bulk") < BULK_RATE);
        assertThat(kafka.awaitResult(ses, Duration.ofSeconds(30)).path("status").asText()).isEqualTo("SENT");
    }

    private static Instant max(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }

    /** {@code submission_rate_limit{relay}} as this replica reports it. */
    private static double rate(String relay) {
        Matcher m = Pattern.compile("(?m)^submission_rate_limit\\{relay=\"" + relay + "\"} (\\S+)$")
                .matcher(RestAssured.get("/q/metrics").asString());
        assertThat(m.find()).as("submission_rate_limit of " + relay).isTrue();
        return m.group(1).equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(m.group(1));
    }
}
