package io.submissionrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.testing.RouterTestBase;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.camel.CamelContext;
import org.apache.camel.component.scheduler.SchedulerEndpoint;
import org.apache.camel.spi.SupervisingRouteController;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The periodic work (routes/periodic.yaml), the start of the intake (Camel's supervising route controller) and the
 * long-running consumers run on threads Camel owns.
 */
@QuarkusTest
class PeriodicRoutesTest extends RouterTestBase {

    @Inject
    CamelContext camel;

    @Inject
    SubmissionConfig config;

    @Test
    void theIntakeStarterIsSupervisedAloneAndStartedAgainFiveSecondsAfterEachFailedStart() {
        // the first attempt at once (1 ms late, off the thread that starts Camel), then a fixed 5 s back-off
        assertThat(camel.getRouteController()).isInstanceOf(SupervisingRouteController.class);
        SupervisingRouteController supervising = (SupervisingRouteController) camel.getRouteController();
        assertThat(supervising.getInitialDelay()).isEqualTo(1);
        assertThat(supervising.getBackOffDelay()).isEqualTo(5000);
        assertThat(supervising.getBackOffMultiplier()).isEqualTo(1.0);
        assertThat(supervising.getBackOffMaxAttempts()).as("no limit").isLessThanOrEqualTo(0);
        assertThat(supervising.getThreadPoolSize()).isEqualTo(1);
        assertThat(supervising.getControlledRoutes()).extracting(r -> r.getRouteId())
                .as("the supervised routes").contains("intake-starter")
                .allMatch(id -> id.equals("intake-starter") || supervising.getNonControlledRouteIds().contains(id));
        Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(camel.getRouteController().getRouteStatus("intake-starter").isStarted()).isTrue();
            assertThat(camel.getRouteController().getRouteStatus("intake").isStarted()).isTrue();
            assertThat(camel.getRouteController().getRouteStatus("endpoint-control").isStarted()).isTrue();
        });
        assertThat(camel.getRoutes()).extracting(r -> r.getRouteId()).doesNotContain("kafka-reachability");
    }

    @Test
    void eachPeriodicRouteRunsOnASchedulerOfItsOwnWithAFixedDelayFromTheEndOfTheRunBefore() {
        // submission.breaker.probe-interval (200ms in the tests), the first probe one interval after startup
        long probe = config.breaker().probeInterval().toMillis();
        assertThat(probe).isEqualTo(200);
        assertSchedule("endpoint-prober", probe, probe);
        assertSchedule("jobs-topic-share", 1000, 1000);
    }

    @Test
    void thePeriodicWorkTheRetriesConsumersAndTheIdempotencyTailRunOnCamelsDaemonThreads() {
        List<String> suffixes = List.of(" - SupervisingRouteController",
                " - scheduler://endpoint-prober", " - scheduler://jobs-topic-share", " - EndpointProber",
                " - CompletedJobsTail",
                // the retries routes' consumers (camel-kafka), one per relay group
                " - KafkaConsumer[email.jobs.retry-200ms,email.jobs.retry-400ms,email.jobs.retry-wait-default]",
                " - KafkaConsumer[email.jobs.retry-200ms,email.jobs.retry-400ms,email.jobs.retry-wait-bulk]");
        Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            List<Thread> threads = List.copyOf(Thread.getAllStackTraces().keySet());
            for (String suffix : suffixes) {
                assertThat(threads).as(suffix).filteredOn(t -> t.getName().endsWith(suffix)).isNotEmpty()
                        .allMatch(t -> t.isDaemon() && t.getName().startsWith("Camel ("));
            }
        });
    }

    private void assertSchedule(String route, long initialDelay, long delay) {
        assertThat(camel.getRouteController().getRouteStatus(route).isStarted()).as(route).isTrue();
        SchedulerEndpoint scheduler = (SchedulerEndpoint) camel.getRoute(route).getEndpoint();
        assertThat(scheduler.getTimeUnit()).as(route).isEqualTo(TimeUnit.MILLISECONDS);
        assertThat(scheduler.getInitialDelay()).as(route + " initial delay").isEqualTo(initialDelay);
        assertThat(scheduler.getDelay()).as(route + " delay").isEqualTo(delay);
        assertThat(scheduler.isUseFixedDelay()).as(route + " fixed delay").isTrue();
        assertThat(scheduler.getPoolSize()).as(route).isEqualTo(1);
    }
}
