package io.submissionrouter.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.submissionrouter.testing.Jobs;
import io.submissionrouter.testing.RouterTestBase;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Health and metrics as CONTRACT 7 names them. */
@QuarkusTest
class OperationsTest extends RouterTestBase {

    @Test
    void isLiveAndReadyOnceTheKafkaConsumerPolls() {
        RestAssured.get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                .until(() -> RestAssured.get("/q/health/ready").statusCode() == 200);
        RestAssured.get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"))
                .body("checks.find { it.name == 'kafka-consumer' }.status", equalTo("UP"))
                // the cluster answers (quarkus-kafka-client's check, with the Camel Kafka component's settings)
                .body("checks.find { it.name == 'Kafka connection health check' }.status", equalTo("UP"));
    }

    /**
     * The jobs topic has 1 partition here and the pod its default 2 intake consumers: one has no partition. It is
     * idle, not ill, and the pod is ready (replicas × consumers often exceed the partitions).
     */
    @Test
    void isReadyWithMoreIntakeConsumersThanPartitions() {
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                .until(() -> RestAssured.get("/q/health/ready").statusCode() == 200);
        RestAssured.get("/q/health/ready").then().statusCode(200)
                .body("checks.find { it.name == 'kafka-consumer' }.data.findAll { it.value == 'polling' }.size()",
                        equalTo(2));
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                java.util.Map.of("bootstrap.servers", io.submissionrouter.testing.RouterTestResources.kafka().bootstrapServers()))) {
            var group = admin.describeConsumerGroups(java.util.List.of("smtp-submission-router")).all().get()
                    .get("smtp-submission-router");
            assertThat(group.members()).hasSize(2);
            assertThat(group.members()).filteredOn(m -> m.assignment().topicPartitions().isEmpty()).hasSize(1);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        for (int i = 0; i < 5; i++) { // and it stays ready
            RestAssured.get("/q/health/ready").then().statusCode(200);
            sleep(500);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void reportsEveryEndpointAndItsBreakerInTheSmtpGroup() {
        RestAssured.get("/q/health/group/smtp").then().statusCode(200)
                .body("checks[0].data.'default.primary'", equalTo("127.0.0.1:" + primary().port() + " closed"))
                .body("checks[0].data.'default.fallback'", equalTo("127.0.0.1:" + fallback().port() + " closed"));
    }

    @Test
    void exportsTheContractMetricsWithTheirLabels() {
        String jobId = Jobs.newJobId("metrics");
        kafka.sendJob(jobId, Jobs.json(Jobs.job(jobId)));
        kafka.awaitResult(jobId, Duration.ofSeconds(20));

        String metrics = RestAssured.get("/q/metrics").then().statusCode(200).extract().asString();
        assertThat(metrics).containsPattern("submission_jobs_total\\{relay=\"default\",status=\"SENT\"} [1-9]");
        assertThat(metrics).containsPattern(
                "submission_smtp_attempts_total\\{endpoint=\"primary\",outcome=\"sent\",relay=\"default\"} [1-9]");
        assertThat(metrics).contains("submission_smtp_send_seconds_bucket{endpoint=\"primary\",relay=\"default\",le=");
        assertThat(metrics).contains("submission_smtp_send_seconds_count{endpoint=\"primary\",relay=\"default\"}");
        assertThat(metrics).contains("submission_breaker_state{endpoint=\"primary\",relay=\"default\"} 0.0");
        assertThat(metrics).contains("submission_breaker_state{endpoint=\"fallback\",relay=\"default\"} 0.0");
    }
}
