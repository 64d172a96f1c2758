package io.submissionrouter.rate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** One relay group's rate: the share of the limit, slowing down on throttled answers, recovering, pacing threads. */
class GroupRateTest {

    private static final Duration RECOVERY = Duration.ofSeconds(30);
    private static final Duration LONG = Duration.ofMinutes(1);
    /** Takes a permit only when one is there: for steps in time that must not wait. */
    private static final Duration NOW = Duration.ZERO;

    @Test
    void takesTheShareOfItsPartitionsOfTheLimit() {
        GroupRate rate = limited(12);
        assertThat(rate.rate()).isEqualTo(12);
        rate.share(2, 8);
        assertThat(rate.rate()).isCloseTo(3, within(1e-9));
        rate.share(8, 8);
        assertThat(rate.rate()).isCloseTo(12, within(1e-9));
        // without partitions it keeps one partition's part, for the retries it still holds
        rate.share(0, 8);
        assertThat(rate.rate()).isCloseTo(1.5, within(1e-9));
    }

    @Test
    void aGroupWithoutALimitHasNone() {
        GroupRate rate = new GroupRate("default", OptionalDouble.empty(), 0.5, RECOVERY, Duration.ofSeconds(1));
        rate.share(1, 4);
        assertThat(rate.rate()).isInfinite();
        assertThat(rate.acquire(Instant.now(), LONG)).isTrue();
    }

    @Test
    void throttledAnswersHalveTheRateOncePerSecondDownToTheFloorAndItRecoversStepByStep() {
        GroupRate rate = limited(8);
        Instant t = Instant.now();
        rate.throttled(t);
        assertThat(rate.rate()).isEqualTo(4);
        rate.throttled(t.plusMillis(300)); // the other sessions in flight met the same throttling
        assertThat(rate.rate()).isEqualTo(4);
        for (int i = 1; i <= 6; i++) {
            rate.throttled(t.plusSeconds(i));
        }
        assertThat(rate.rate()).isEqualTo(0.5); // submission.throttle.min-rate

        Instant later = t.plusSeconds(6);
        rate.acquire(later.plus(RECOVERY), NOW);
        assertThat(rate.rate()).isEqualTo(1);
        rate.acquire(later.plus(RECOVERY).plus(RECOVERY), NOW);
        rate.acquire(later.plus(RECOVERY.multipliedBy(3)), NOW);
        rate.acquire(later.plus(RECOVERY.multipliedBy(4)), NOW);
        rate.acquire(later.plus(RECOVERY.multipliedBy(5)), NOW);
        assertThat(rate.rate()).isEqualTo(8);
        rate.acquire(later.plus(RECOVERY.multipliedBy(6)), NOW);
        assertThat(rate.rate()).isEqualTo(8); // never above the limit
    }

    @Test
    void theFloorNeverLiftsALimitBelowIt() {
        GroupRate rate = limited(0.2);
        rate.throttled(Instant.now());
        assertThat(rate.rate()).isCloseTo(0.2, within(1e-9));
    }

    @Test
    void aGroupWithoutALimitGetsHalfThePaceItWasThrottledAtUntilItRecovers() {
        GroupRate rate = new GroupRate("default", OptionalDouble.empty(), 0.5, RECOVERY, Duration.ofSeconds(1));
        Instant t = Instant.now();
        for (int i = 0; i < 100; i++) {
            rate.acquire(t, LONG); // 100 messages in the last 5 s: 20 per second
        }
        rate.throttled(t);
        assertThat(rate.rate()).isCloseTo(10, within(1e-9));
        rate.acquire(t.plus(RECOVERY), NOW);
        assertThat(rate.rate()).isCloseTo(20, within(1e-9));
        rate.acquire(t.plus(RECOVERY.multipliedBy(2)), NOW);
        assertThat(rate.rate()).isInfinite();
    }

    /** Many threads share one pace: 41 permits at 20 per second cannot come in less than 2 s. */
    @Test
    void threadsTogetherKeepToTheRate() throws Exception {
        GroupRate rate = limited(20);
        AtomicInteger granted = new AtomicInteger();
        ExecutorService threads = Executors.newFixedThreadPool(8);
        long start = System.nanoTime();
        List<Future<?>> done = new ArrayList<>();
        for (int i = 0; i < 41; i++) {
            done.add(threads.submit(() -> {
                if (rate.acquire(Instant.now(), LONG)) {
                    granted.incrementAndGet();
                }
            }));
        }
        for (Future<?> f : done) {
            f.get();
        }
        threads.shutdown();
        assertThat(granted).hasValue(41);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(1900));
    }

    @Test
    void aCallerThatCannotWaitForThePermitGetsNoneAndTakesNone() {
        GroupRate rate = limited(1);
        assertThat(rate.acquire(Instant.now(), Duration.ZERO)).isTrue();
        assertThat(rate.untilNextPermit()).isGreaterThan(Duration.ofMillis(500));
        assertThat(rate.acquire(Instant.now(), Duration.ofMillis(100))).isFalse();
        assertThat(rate.untilNextPermit()).isLessThanOrEqualTo(Duration.ofSeconds(1)); // nothing was reserved
    }

    @Test
    void theLimitersOwnTimeoutBoundsAnyWait() {
        GroupRate rate = new GroupRate("bulk", OptionalDouble.of(1), 0.5, RECOVERY, Duration.ofMillis(100));
        assertThat(rate.acquire(Instant.now(), LONG)).isTrue();
        assertThat(rate.acquire(Instant.now(), LONG)).isFalse();
    }

    private static GroupRate limited(double perSecond) {
        return new GroupRate("bulk", OptionalDouble.of(perSecond), 0.5, RECOVERY, Duration.ofSeconds(30));
    }
}
