package io.submissionrouter.relay;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.submissionrouter.smtp.OutcomeClass;
import io.submissionrouter.smtp.SmtpOutcome;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The circuit breaker of one endpoint (Resilience4j, count-based window). Only {@code endpoint_down} and
 * {@code config_error} count as failures; a successful session closes it; every other answer leaves it
 * untouched (CONTRACT 5.2). After a run of {@code config_error}s it stays open for growing periods, so a
 * wrong password does not get the account locked.
 */
public final class Breaker {

    /** States as {@code submission_breaker_state} reports them. */
    public static final int CLOSED = 0;
    public static final int HALF_OPEN = 1;
    public static final int OPEN = 2;
    public static final int SUSPENDED = 3;

    private static final int MAX_CONFIG_ERROR_FACTOR = 64;

    private final CircuitBreaker breaker;
    private volatile boolean lastFailureWasConfigError;
    /** Uncertain sessions in a row: the second one in a row counts as a failure. */
    private final AtomicInteger uncertainInARow = new AtomicInteger();
    /** End of an operator's suspension (CONTRACT 7); null while not suspended. */
    private volatile Instant suspendedUntil;

    public Breaker(String name, int window, double failureRatio, Duration openDuration, int halfOpenProbes) {
        long openMillis = openDuration.toMillis();
        CircuitBreakerConfig config = CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(window)
                // Judge as soon as the failures alone could reach the ratio of a full window.
                .minimumNumberOfCalls(Math.max(1, (int) Math.ceil(window * failureRatio)))
                .failureRateThreshold((float) (failureRatio * 100))
                .permittedNumberOfCallsInHalfOpenState(halfOpenProbes)
                .automaticTransitionFromOpenToHalfOpenEnabled(true)
                .waitIntervalFunctionInOpenState(attempt -> lastFailureWasConfigError
                        ? openMillis * Math.min(MAX_CONFIG_ERROR_FACTOR, 1L << Math.min(30, Math.max(0, attempt - 1)))
                        : openMillis)
                .build();
        this.breaker = CircuitBreaker.of(name, config);
    }

    /** Asks for permission to call the endpoint; an open breaker past its wait moves to half-open here. */
    public boolean tryAcquirePermission() {
        endSuspensionIfDue(Instant.now());
        return breaker.tryAcquirePermission();
    }

    /**
     * Takes the endpoint out of rotation until {@code until}, as an open breaker would, but without probes
     * (an operator's suspension, CONTRACT 7). A later suspension replaces an earlier one.
     *
     * @return false when nothing changed: {@code until} has passed already, or is the suspension in force
     */
    public synchronized boolean suspend(Instant until, Instant now) {
        if (!until.isAfter(now) || until.equals(suspendedUntil)) {
            return false;
        }
        suspendedUntil = until;
        if (breaker.getState() != CircuitBreaker.State.FORCED_OPEN) {
            breaker.transitionToForcedOpenState();
        }
        return true;
    }

    /**
     * Ends a suspension: the endpoint is back in rotation with a closed breaker (a fresh window, so the
     * failures before the suspension do not count).
     *
     * @return false when the endpoint was not suspended
     */
    public synchronized boolean resume() {
        if (suspendedUntil == null) {
            return false;
        }
        suspendedUntil = null;
        breaker.transitionToClosedState();
        return true;
    }

    /** When the suspension ends; empty while not suspended. */
    public Optional<Instant> suspendedUntil() {
        endSuspensionIfDue(Instant.now());
        return Optional.ofNullable(suspendedUntil);
    }

    /** Ends a suspension whose time is up; checked whenever the state is read or permission asked. */
    private void endSuspensionIfDue(Instant now) {
        Instant until = suspendedUntil;
        if (until != null && !now.isBefore(until)) {
            synchronized (this) {
                if (suspendedUntil != null && !now.isBefore(suspendedUntil)) {
                    resume();
                }
            }
        }
    }

    /**
     * Records how a session that was granted permission ended: {@code endpoint_down} and {@code config_error} are
     * failures, a delivered message a success; an {@code uncertain} session (no reply after the final dot) is a
     * failure when the one before it on this endpoint was uncertain too (a server that keeps losing replies is not
     * healthy); every other answer leaves the breaker as it is.
     */
    public void record(SmtpOutcome outcome) {
        if (outcome.local()) {
            breaker.releasePermission(); // no session of this pod's pool came free: the endpoint had no part in it
            return;
        }
        long nanos = TimeUnit.MILLISECONDS.toNanos(outcome.durationMillis());
        boolean uncertain = outcome.outcome() == OutcomeClass.UNCERTAIN;
        int inARow = uncertain ? uncertainInARow.incrementAndGet() : 0;
        if (!uncertain) {
            uncertainInARow.set(0);
        }
        if (outcome.outcome().endpointFailed() || inARow >= 2) {
            lastFailureWasConfigError = outcome.outcome() == OutcomeClass.CONFIG_ERROR;
            breaker.onError(nanos, TimeUnit.NANOSECONDS, new EndpointFailure(outcome));
        } else if (outcome.outcome() == OutcomeClass.SENT) {
            lastFailureWasConfigError = false;
            breaker.onSuccess(nanos, TimeUnit.NANOSECONDS);
        } else {
            breaker.releasePermission();
        }
    }

    /** Gives back a permission that no session used (the job failed before its session ran). */
    public void release() {
        breaker.releasePermission();
    }

    /** 0 closed, 1 half-open, 2 open, 3 suspended. */
    public int stateCode() {
        endSuspensionIfDue(Instant.now());
        return switch (breaker.getState()) {
            case CLOSED -> CLOSED;
            case HALF_OPEN -> HALF_OPEN;
            case FORCED_OPEN, DISABLED, METRICS_ONLY -> SUSPENDED;
            default -> OPEN;
        };
    }

    public String stateName() {
        return switch (stateCode()) {
            case CLOSED -> "closed";
            case HALF_OPEN -> "half-open";
            case SUSPENDED -> "suspended";
            default -> "open";
        };
    }

    /** The breaker's window as an operator reads it; the failure rate is -1 until the window has enough calls. */
    public Counters counters() {
        CircuitBreaker.Metrics m = breaker.getMetrics();
        return new Counters(m.getFailureRate(), m.getNumberOfBufferedCalls(), m.getNumberOfFailedCalls(),
                m.getNumberOfNotPermittedCalls());
    }

    /** Counters of the breaker's sliding window. */
    public record Counters(float failureRate, int bufferedCalls, int failedCalls, long notPermittedCalls) {
    }

    void onStateTransition(java.util.function.Consumer<String> listener) {
        breaker.getEventPublisher().onStateTransition(e -> listener.accept(
                e.getStateTransition().getFromState() + " -> " + e.getStateTransition().getToState()));
    }

    /** The failure handed to Resilience4j; carries the classified outcome. */
    static final class EndpointFailure extends RuntimeException {
        EndpointFailure(SmtpOutcome outcome) {
            super(outcome.outcome().wireName() + " at " + outcome.step(), null, false, false);
        }
    }
}
