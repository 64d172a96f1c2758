package io.submissionrouter.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.submissionrouter.smtp.OutcomeClass;
import io.submissionrouter.smtp.SmtpOutcome;
import io.submissionrouter.smtp.SmtpStep;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class EndpointBreakerTest {

    private static SmtpOutcome outcome(OutcomeClass c) {
        return new SmtpOutcome(c, SmtpStep.CONNECT, null, List.of(), List.of(), List.of(), 1, null);
    }

    private static void fail(EndpointBreaker b, OutcomeClass c) {
        assertThat(b.tryAcquirePermission()).isTrue();
        b.record(outcome(c));
    }

    @Test
    void opensWhenFailuresReachTheRatioAndRefusesAtOnce() {
        EndpointBreaker b = new EndpointBreaker("t", 10, 0.5, Duration.ofSeconds(30), 1);
        for (int i = 0; i < 4; i++) {
            fail(b, OutcomeClass.ENDPOINT_DOWN);
        }
        assertThat(b.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        fail(b, OutcomeClass.ENDPOINT_DOWN);
        assertThat(b.state()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(b.stateCode()).isEqualTo(EndpointBreaker.OPEN);
        assertThat(b.tryAcquirePermission()).isFalse();
    }

    @Test
    void answersAboutTheMessageNeverTripIt() {
        EndpointBreaker b = new EndpointBreaker("t", 2, 0.5, Duration.ofSeconds(30), 1);
        for (OutcomeClass c : List.of(OutcomeClass.REJECTED, OutcomeClass.TRANSIENT, OutcomeClass.THROTTLED,
                OutcomeClass.UNCERTAIN, OutcomeClass.REJECTED, OutcomeClass.TRANSIENT)) {
            fail(b, c);
        }
        assertThat(b.state()).isEqualTo(CircuitBreaker.State.CLOSED);
    }

    @Test
    void halfOpensAfterTheOpenDurationAndASuccessClosesIt() throws InterruptedException {
        EndpointBreaker b = new EndpointBreaker("t", 2, 0.5, Duration.ofMillis(100), 1);
        fail(b, OutcomeClass.ENDPOINT_DOWN);
        assertThat(b.state()).isEqualTo(CircuitBreaker.State.OPEN);
        Thread.sleep(300);
        assertThat(b.tryAcquirePermission()).isTrue(); // asking moves it to half-open
        assertThat(b.stateCode()).isEqualTo(EndpointBreaker.HALF_OPEN);
        b.record(outcome(OutcomeClass.SENT));
        assertThat(b.state()).isEqualTo(CircuitBreaker.State.CLOSED);
    }

    @Test
    void staysOpenLongerAfterEachConfigError() throws InterruptedException {
        EndpointBreaker b = new EndpointBreaker("t", 2, 0.5, Duration.ofMillis(200), 1);
        fail(b, OutcomeClass.CONFIG_ERROR);
        Thread.sleep(350);
        assertThat(b.tryAcquirePermission()).isTrue(); // first wait: the open duration
        b.record(outcome(OutcomeClass.CONFIG_ERROR));
        Thread.sleep(350);
        assertThat(b.tryAcquirePermission()).isFalse(); // second wait: twice as long
        Thread.sleep(200);
        assertThat(b.tryAcquirePermission()).isTrue();
    }
}
