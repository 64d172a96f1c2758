package io.submissionrouter.rate;

import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.internal.AtomicRateLimiter;
import java.time.Duration;
import java.time.Instant;
import java.util.OptionalDouble;

/**
 * The sending rate of one relay group in this replica (CONTRACT 5.3 step 5, 5.2 {@code throttled}).
 * <ul>
 *   <li>A group with {@code rate-limit} L sends at most L x share messages per second here, where the share is
 *       this replica's part of the jobs topic's partitions; the replicas together keep to L.</li>
 *   <li>A {@code throttled} answer halves the rate (at most once per {@link #DEBOUNCE}, since the sessions in
 *       flight meet the same throttling at once), down to the floor {@code min-rate}. A group without a limit
 *       gets one at half the pace it was sending at.</li>
 *   <li>Every {@code recovery-interval} without a throttled answer doubles it again, up to the limit; a group
 *       without a limit loses the one it got.</li>
 * </ul>
 * Permits are paced one at a time (no bursts) by a Resilience4j {@link RateLimiter}, shared by every thread of
 * the replica that sends for the group, and replaced whenever the rate changes. A caller waits for a permit only
 * as long as it can afford ({@link #acquire}); the limiter's own timeout, {@code maxWait}, bounds it anyway.
 * Thread-safe.
 */
public final class GroupRate {

    /** Throttled answers closer together than this count as one. */
    static final Duration DEBOUNCE = Duration.ofSeconds(1);
    /** How far back the sending pace is measured, for a group without a limit that gets throttled. */
    static final Duration PACE_WINDOW = Duration.ofSeconds(5);

    private final String relay;
    private final Double limit;
    private final double minRate;
    private final Duration recoveryInterval;
    private final Duration maxWait;
    private final SendPace pace = new SendPace(PACE_WINDOW);

    private double share = 1;
    /** 1, or less after throttled answers. */
    private double slowdown = 1;
    /** For a group without a limit: the pace (here) at which it was throttled; null while not throttled. */
    private Double throttledPace;
    private Instant lastThrottled = Instant.MIN;
    private Instant lastChange = Instant.MIN;
    private volatile AtomicRateLimiter limiter;
    private volatile double rate = Double.POSITIVE_INFINITY;

    /**
     * @param limit            messages per second for the whole consumer group; empty for none
     * @param minRate          the floor throttling slows this replica down to (messages per second)
     * @param recoveryInterval time without a throttled answer after which the rate doubles again
     * @param maxWait          longest a job waits for a permit
     */
    public GroupRate(String relay, OptionalDouble limit, double minRate, Duration recoveryInterval, Duration maxWait) {
        this.relay = relay;
        this.limit = limit.isPresent() ? limit.getAsDouble() : null;
        this.minRate = minRate;
        this.recoveryInterval = recoveryInterval;
        this.maxWait = maxWait;
        update(Instant.now());
    }

    /**
     * Takes a permit to send one message when one comes within {@code atMost}, waiting for it; otherwise takes
     * none and returns false at once, so the job can wait elsewhere instead of holding its consumer.
     */
    public boolean acquire(Instant now, Duration atMost) {
        recoverIfDue(now);
        AtomicRateLimiter l = limiter;
        if (l != null && l.getDetailedMetrics().getNanosToWait() > atMost.toNanos()) {
            return false;
        }
        // the pace may have moved on since the look: the limiter's own timeout (maxWait) still bounds the wait
        boolean granted = l == null || l.acquirePermission();
        if (granted) {
            pace.record(now);
        }
        return granted;
    }

    /** How long until the next permit; zero without a limit. */
    public Duration untilNextPermit() {
        recoverIfDue(Instant.now());
        AtomicRateLimiter l = limiter;
        return l == null ? Duration.ZERO : Duration.ofNanos(Math.max(0, l.getDetailedMetrics().getNanosToWait()));
    }

    /** A throttled answer from one of the group's endpoints: slow down. */
    public synchronized void throttled(Instant now) {
        if (Duration.between(lastThrottled, now).compareTo(DEBOUNCE) < 0) {
            return;
        }
        lastThrottled = now;
        if (limit == null && throttledPace == null) {
            throttledPace = Math.max(minRate, pace.perSecond(now));
        }
        slowdown = Math.max(slowdown / 2, Math.min(1, minRate / base()));
        lastChange = now;
        update(now);
    }

    /** This replica's part of the jobs topic: {@code assigned} of {@code total} partitions. */
    public synchronized void share(int assigned, int total) {
        // a replica without partitions may still send retries it holds: it keeps one partition's part
        share = total <= 0 ? 1 : Math.max(1, assigned) / (double) total;
        update(Instant.now());
    }

    /** Messages per second this replica may send now; infinite without a limit. */
    public double rate() {
        recoverIfDue(Instant.now());
        return rate;
    }

    public String relay() {
        return relay;
    }

    private void recoverIfDue(Instant now) {
        if (slowdown < 1 || throttledPace != null) {
            synchronized (this) {
                if ((slowdown < 1 || throttledPace != null)
                        && Duration.between(lastChange, now).compareTo(recoveryInterval) >= 0) {
                    if (slowdown < 1) {
                        slowdown = Math.min(1, slowdown * 2);
                    } else {
                        throttledPace = null; // back at the pace it was throttled at, and no answer since
                    }
                    lastChange = now;
                    update(now);
                }
            }
        }
    }

    /** The rate before any slowdown. */
    private double base() {
        if (limit != null) {
            return limit * share;
        }
        return throttledPace == null ? Double.POSITIVE_INFINITY : throttledPace;
    }

    private void update(Instant now) {
        double base = base();
        // throttling never takes it below the floor, nor the floor above the limit
        double r = Double.isInfinite(base) ? base : Math.max(Math.min(minRate, base), base * slowdown);
        if (r == rate && (limiter != null || Double.isInfinite(r))) {
            return;
        }
        rate = r;
        limiter = Double.isInfinite(r) ? null : new AtomicRateLimiter("relay-" + relay, RateLimiterConfig.custom()
                .limitForPeriod(1)
                .limitRefreshPeriod(Duration.ofNanos(Math.max(1_000, (long) (1_000_000_000L / r))))
                .timeoutDuration(maxWait)
                .build());
    }

    /** Messages sent in the last few seconds, to learn the pace a group without a limit was throttled at. */
    static final class SendPace {
        private final long[] counts;
        private final long[] seconds;

        SendPace(Duration window) {
            counts = new long[(int) window.toSeconds()];
            seconds = new long[counts.length];
        }

        synchronized void record(Instant now) {
            long second = now.getEpochSecond();
            int i = (int) (second % counts.length);
            if (seconds[i] != second) {
                seconds[i] = second;
                counts[i] = 0;
            }
            counts[i]++;
        }

        /** Messages per second over the window before {@code now}. */
        synchronized double perSecond(Instant now) {
            long second = now.getEpochSecond();
            long sum = 0;
            for (int i = 0; i < counts.length; i++) {
                if (second - seconds[i] < counts.length) {
                    sum += counts[i];
                }
            }
            return sum / (double) counts.length;
        }
    }
}
