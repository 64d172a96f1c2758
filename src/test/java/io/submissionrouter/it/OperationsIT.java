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
class OperationsIT extends RouterTestBase {

    @Test
    void isLiveAndReadyOnceTheKafkaConsumerPolls() {
        RestAssured.get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                .until(() -> RestAssured.get("/q/health/ready").statusCode() == 200);
        RestAssured.get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"))
                .body("checks.find { it.name == 'kafka-consumer' }.status", equalTo("UP"));
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
