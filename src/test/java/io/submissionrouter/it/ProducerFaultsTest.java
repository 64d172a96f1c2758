package io.submissionrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.submissionrouter.job.MessageIds;
import io.submissionrouter.testing.Jobs;
import io.submissionrouter.testing.ProducerFaults;
import io.submissionrouter.testing.RouterTestBase;
import io.submissionrouter.testing.RouterTestResources;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 21 and CONTRACT 9.5: the router's shared Kafka producer stops working, for real, against the real broker (a
 * {@link ProducerFaults} interceptor kills or blocks its network thread, as KAFKA-8202's StackOverflowError did). No
 * new SMTP session starts while the writes a session will need go unanswered, readiness says so, a producer that
 * stopped working is replaced, and every job a server accepted keeps its one result, sent once. Short bounds: a write
 * unanswered for 1 s is hung; the producer reports a failed send within 8 s (delivery.timeout.ms), so one silent for
 * 9 s is broken.
 */
@QuarkusTest
@TestProfile(ProducerFaultsTest.ShortBounds.class)
class ProducerFaultsTest extends RouterTestBase {

    /** The test interceptor on the router's producers, and short bounds. */
    public static class ShortBounds implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("camel.component.kafka.interceptor-classes", ProducerFaults.class.getName(),
                    "camel.component.kafka.request-timeout-ms", "4000",
                    "camel.component.kafka.delivery-timeout-ms", "8000",
                    "submission.kafka.ack-timeout", "1s");
        }
    }

    @BeforeEach
    void aWorkingProducer() {
        ProducerFaults.disarm();
        String warm = Jobs.newJobId("producer-warm");
        kafka.sendJob(warm, Jobs.json(Jobs.job(warm)));
        assertThat(kafka.awaitResult(warm, Duration.ofSeconds(30)).path("status").asText()).isEqualTo("SENT");
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> status("/q/health/ready") == 200
                && status("/q/health/live") == 200 && status("/q/health/group/kafka-writes") == 200);
    }

    @AfterEach
    void producersWorkAgain() {
        ProducerFaults.disarm();
    }

    @Test
    void aProducerWhoseNetworkThreadDiedIsReplacedAndNoSessionStartsUntilWritesAreAcknowledgedAgain() throws Exception {
        double replacedBefore = replaced();
        ProducerFaults.killEachProducer(); // every producer's thread dies at its first acknowledgement meanwhile
        String first = Jobs.newJobId("producer-killed-first");
        kafka.sendJob(first, Jobs.json(Jobs.job(first)));
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> copies(first) == 1);
        Thread.sleep(1000); // the acknowledgement of its completion killed the thread

        List<String> after = IntStream.range(0, 3).mapToObj(i -> Jobs.newJobId("producer-killed-after")).toList();
        after.forEach(jobId -> kafka.sendJob(jobId, Jobs.json(Jobs.job(jobId))));
        Thread.sleep(4000);
        for (String jobId : after) {
            assertThat(copies(jobId)).as("no session while no producer acknowledges writes: " + jobId).isZero();
        }
        assertThat(status("/q/health/ready")).as("readiness").isEqualTo(503);
        assertThat(RestAssured.get("/q/health/group/kafka-writes").then().statusCode(503).extract().asString())
                .contains("producer");
        assertThat(status("/q/health/live")).as("liveness: replacing the producer did not help").isEqualTo(503);

        ProducerFaults.disarm();
        for (String jobId : Stream.concat(Stream.of(first), after.stream()).toList()) {
            assertThat(kafka.awaitResult(jobId, Duration.ofSeconds(60)).path("status").asText()).isEqualTo("SENT");
        }
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> status("/q/health/ready") == 200
                && status("/q/health/live") == 200 && status("/q/health/group/kafka-writes") == 200);
        Thread.sleep(1000); // anything sent or written twice would show by now
        for (String jobId : Stream.concat(Stream.of(first), after.stream()).toList()) {
            assertThat(copies(jobId)).as("sent once: " + jobId).isEqualTo(1);
            assertThat(kafka.on("email.results", jobId)).as("one result: " + jobId).hasSize(1);
        }
        assertThat(replaced() - replacedBefore).as("producers replaced").isGreaterThanOrEqualTo(2);
        assertThat(Files.readString(Path.of(RouterTestResources.LOG_FILE)))
                .contains("network thread kafka-producer-network-thread | smtp-submission-router-producer-");
    }

    @Test
    void aSilentProducerHoldsNewSessionsAndTakesTheReplicaOutOfReadinessUntilItAnswers() throws Exception {
        double replacedBefore = replaced();
        ProducerFaults.hangNextAcknowledgement();
        String first = Jobs.newJobId("producer-silent-first");
        kafka.sendJob(first, Jobs.json(Jobs.job(first)));
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> copies(first) == 1 && ProducerFaults.hanging());
        // its completion is unanswered for submission.kafka.ack-timeout (1 s): from then on the producer is silent
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> status("/q/health/ready") == 503);

        String held = Jobs.newJobId("producer-silent-held");
        kafka.sendJob(held, Jobs.json(Jobs.job(held)));
        Thread.sleep(2000); // well within the 9 s that make it broken
        assertThat(copies(held)).as("no session while the producer answers nothing").isZero();
        assertThat(RestAssured.get("/q/health/ready").then().statusCode(503).extract().asString())
                .contains("kafka-producer").contains("unanswered");
        assertThat(RestAssured.get("/q/health/group/kafka-writes").then().statusCode(503).extract().asString())
                .contains("producer").contains("unanswered");
        assertThat(status("/q/health/live")).as("liveness: nothing to restart for yet").isEqualTo(200);

        ProducerFaults.disarm(); // the network thread goes on: everything it held is acknowledged
        for (String jobId : List.of(first, held)) {
            assertThat(kafka.awaitResult(jobId, Duration.ofSeconds(30)).path("status").asText()).isEqualTo("SENT");
        }
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> status("/q/health/ready") == 200
                && status("/q/health/group/kafka-writes") == 200);
        Thread.sleep(1000);
        for (String jobId : List.of(first, held)) {
            assertThat(copies(jobId)).as("sent once: " + jobId).isEqualTo(1);
            assertThat(kafka.on("email.results", jobId)).as("one result: " + jobId).hasSize(1);
        }
        assertThat(replaced()).as("a producer that answers late is not replaced").isEqualTo(replacedBefore);
    }

    @Test
    void aProducerSilentLongerThanItsDeliveryTimeoutIsReplacedAndTheJobsGoOn() throws Exception {
        double replacedBefore = replaced();
        ProducerFaults.hangNextAcknowledgement(); // blocked for good: only a new producer writes again
        String first = Jobs.newJobId("producer-gone-first");
        kafka.sendJob(first, Jobs.json(Jobs.job(first)));
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> copies(first) == 1 && ProducerFaults.hanging());
        String held = Jobs.newJobId("producer-gone-held");
        kafka.sendJob(held, Jobs.json(Jobs.job(held)));

        for (String jobId : List.of(first, held)) { // well before the interceptor gives up (60 s)
            assertThat(kafka.awaitResult(jobId, Duration.ofSeconds(30)).path("status").asText()).isEqualTo("SENT");
        }
        assertThat(ProducerFaults.hanging()).as("the old producer's thread is still blocked").isTrue();
        assertThat(replaced() - replacedBefore).as("producers replaced").isEqualTo(1);
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> status("/q/health/ready") == 200
                && status("/q/health/live") == 200);
        Thread.sleep(1000);
        for (String jobId : List.of(first, held)) {
            assertThat(copies(jobId)).as("sent once: " + jobId).isEqualTo(1);
            assertThat(kafka.on("email.results", jobId)).as("one result: " + jobId).hasSize(1);
        }
    }

    private static int status(String path) {
        return RestAssured.get(path).statusCode();
    }

    /** Producers replaced so far, whatever the reason. */
    private static double replaced() {
        Matcher m = Pattern.compile("(?m)^submission_kafka_producer_replaced_total(?:\\{[^}]*})? ([0-9.eE+-]+)$")
                .matcher(RestAssured.get("/q/metrics").asString());
        double sum = 0;
        while (m.find()) {
            sum += Double.parseDouble(m.group(1));
        }
        return sum;
    }

    private static long copies(String jobId) {
        String messageId = MessageIds.of(jobId, "router.test");
        return Stream.concat(primary().received().stream(), fallback().received().stream())
                .filter(r -> r.text().contains(messageId)).count();
    }
}
