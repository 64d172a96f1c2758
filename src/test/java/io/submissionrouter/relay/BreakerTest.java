package io.submissionrouter.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.submissionrouter.smtp.OutcomeClass;
import io.submissionrouter.smtp.SmtpOutcome;
import io.submissionrouter.smtp.SmtpStep;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class BreakerTest {

    private static SmtpOutcome outcome(OutcomeClass c) {
        return new SmtpOutcome(c, SmtpStep.CONNECT, null, List.of(), List.of(), List.of(), 1, null);
    }

    private static void fail(Breaker b, OutcomeClass c) {
        assertThat(b.tryAcquirePermission()).isTrue();
        b.record(outcome(c));
    }

    @Test
    void opensWhenFailuresReachTheRatioAndRefusesAtOnce() {
        Breaker b = new Breaker("t", 10, 0.5, Duration.ofSeconds(30), 1);
        for (int i = 0; i < 4; i++) {
            fail(b, OutcomeClass.ENDPOINT_DOWN);
        }
        assertThat(b.stateCode()).isEqualTo(Breaker.CLOSED);
        fail(b, OutcomeClass.ENDPOINT_DOWN);
        assertThat(b.stateCode()).isEqualTo(Breaker.OPEN);
        assertThat(b.tryAcquirePermission()).isFalse();
    }

    @Test
    void answersAboutTheMessageNeverTripIt() {
        Breaker b = new Breaker("t", 2, 0.5, Duration.ofSeconds(30), 1);
        for (OutcomeClass c : List.of(OutcomeClass.REJECTED, OutcomeClass.TRANSIENT, OutcomeClass.THROTTLED,
                OutcomeClass.UNCERTAIN, OutcomeClass.REJECTED, OutcomeClass.TRANSIENT)) {
            fail(b, c);
        }
        assertThat(b.stateCode()).isEqualTo(Breaker.CLOSED);
    }

    @Test
    void halfOpensAfterTheOpenDurationAndASuccessClosesIt() throws InterruptedException {
        Breaker b = new Breaker("t", 2, 0.5, Duration.ofMillis(100), 1);
        fail(b, OutcomeClass.ENDPOINT_DOWN);
        assertThat(b.stateCode()).isEqualTo(Breaker.OPEN);
        Thread.sleep(300);
        assertThat(b.tryAcquirePermission()).isTrue(); // asking moves it to half-open
        assertThat(b.stateCode()).isEqualTo(Breaker.HALF_OPEN);
        b.record(outcome(OutcomeClass.SENT));
        assertThat(b.stateCode()).isEqualTo(Breaker.CLOSED);
    }

    @Test
    void staysOpenLongerAfterEachConfigError() throws InterruptedException {
        Breaker b = new Breaker("t", 2, 0.5, Duration.ofMillis(200), 1);
        fail(b, OutcomeClass.CONFIG_ERROR);
        Thread.sleep(350);
        assertThat(b.tryAcquirePermission()).isTrue(); // first wait: the open duration
        b.record(outcome(OutcomeClass.CONFIG_ERROR));
        Thread.sleep(350);
        assertThat(b.tryAcquirePermission()).isFalse(); // second wait: twice as long
        Thread.sleep(200);
        assertThat(b.tryAcquirePermission()).isTrue();
    }

    @Test
    void aSuspensionRefusesEveryCallUntilItEndsOrIsResumedAndThenStartsAfresh() {
        Breaker b = new Breaker("t", 4, 0.5, Duration.ofSeconds(30), 1);
        fail(b, OutcomeClass.ENDPOINT_DOWN);
        java.time.Instant now = java.time.Instant.now();
        assertThat(b.suspend(now.minusSeconds(1), now)).isFalse(); // already over
        assertThat(b.stateCode()).isEqualTo(Breaker.CLOSED);

        java.time.Instant until = now.plusMillis(300);
        assertThat(b.suspend(until, now)).isTrue();
        assertThat(b.suspend(until, now)).isFalse(); // the same command read again changes nothing
        assertThat(b.stateCode()).isEqualTo(Breaker.SUSPENDED);
        assertThat(b.stateName()).isEqualTo("suspended");
        assertThat(b.suspendedUntil()).contains(until);
        assertThat(b.tryAcquirePermission()).isFalse();

        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> b.stateCode() == Breaker.CLOSED);
        assertThat(b.suspendedUntil()).isEmpty();
        assertThat(b.counters().bufferedCalls()).isZero(); // the failure before the suspension is forgotten
        assertThat(b.tryAcquirePermission()).isTrue();

        assertThat(b.suspend(java.time.Instant.now().plusSeconds(600), java.time.Instant.now())).isTrue();
        assertThat(b.resume()).isTrue();
        assertThat(b.resume()).isFalse();
        assertThat(b.stateCode()).isEqualTo(Breaker.CLOSED);
    }

    @Test
    void aPermissionNoSessionUsedGoesBackSoAHalfOpenBreakerCanStillBeProbed() throws Exception {
        Breaker breaker = new Breaker("leak", 2, 0.5, Duration.ofMillis(100), 1);
        SmtpOutcome down = new SmtpOutcome(OutcomeClass.ENDPOINT_DOWN, SmtpStep.CONNECT, null, List.of(), List.of(),
                List.of(), 1, "refused");
        assertThat(breaker.tryAcquirePermission()).isTrue();
        breaker.record(down); // window 2, ratio 0.5: one failure opens it
        assertThat(breaker.stateCode()).isEqualTo(Breaker.OPEN);
        Thread.sleep(300);
        assertThat(breaker.tryAcquirePermission()).as("half-open: its one probe").isTrue();
        assertThat(breaker.stateCode()).isEqualTo(Breaker.HALF_OPEN);
        assertThat(breaker.tryAcquirePermission()).as("the probe is taken").isFalse();
        breaker.release(); // the job failed before its session ran
        assertThat(breaker.tryAcquirePermission()).as("the probe is back").isTrue();
    }

    @Test
    void aSecondUncertainSessionInARowCountsAsAFailure() {
        Breaker breaker = new Breaker("uncertain", 2, 0.5, Duration.ofSeconds(30), 1);
        SmtpOutcome uncertain = new SmtpOutcome(OutcomeClass.UNCERTAIN, SmtpStep.DOT, null, List.of(), List.of(),
                List.of(), 1, "no reply");
        SmtpOutcome sent = new SmtpOutcome(OutcomeClass.SENT, SmtpStep.DOT, null, List.of(), List.of(), List.of(), 1,
                null);
        breaker.tryAcquirePermission();
        breaker.record(uncertain);
        assertThat(breaker.counters().failedCalls()).as("one uncertain session proves nothing").isZero();
        breaker.tryAcquirePermission();
        breaker.record(sent);
        breaker.tryAcquirePermission();
        breaker.record(uncertain);
        assertThat(breaker.counters().failedCalls()).as("a success in between resets the run").isZero();
        breaker.tryAcquirePermission();
        breaker.record(uncertain);
        assertThat(breaker.counters().failedCalls()).isEqualTo(1);
    }

    @Test
    void noFreeSessionInThisPodsPoolIsNotTheEndpointsFailure() {
        Breaker breaker = new Breaker("busy", 2, 0.5, Duration.ofSeconds(30), 1);
        SmtpOutcome busy = new SmtpOutcome(OutcomeClass.ENDPOINT_DOWN, SmtpStep.CONNECT, null, List.of(), List.of(),
                List.of(), 1, "all 4 sessions stayed in use", true);
        for (int i = 0; i < 3; i++) {
            assertThat(breaker.tryAcquirePermission()).isTrue();
            breaker.record(busy);
        }
        assertThat(breaker.counters().failedCalls()).isZero();
        assertThat(breaker.stateCode()).isEqualTo(Breaker.CLOSED);
    }
}
