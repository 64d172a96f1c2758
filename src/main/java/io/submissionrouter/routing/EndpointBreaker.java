package io.submissionrouter.routing;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.submissionrouter.smtp.OutcomeClass;
import io.submissionrouter.smtp.SmtpOutcome;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The circuit breaker of one endpoint (Resilience4j, count-based window). Only {@code endpoint_down} and
 * {@code config_error} count as failures; a successful session closes it; every other answer leaves it
 * untouched (CONTRACT 5.2). After a run of {@code config_error}s it stays open for growing periods, so a
 * wrong password does not get the account locked.
 */
public final class EndpointBreaker {

    /** States as {@code submission_breaker_state} reports them. */
    public static final int CLOSED = 0;
    public static final int HALF_OPEN = 1;
    public static final int OPEN = 2;
    public static final int SUSPENDED = 3;

    private static final int MAX_CONFIG_ERROR_FACTOR = 64;

    private final CircuitBreaker breaker;
    private volatile boolean lastFailureWasConfigError;

    public EndpointBreaker(String name, int window, double failureRatio, Duration openDuration, int halfOpenProbes) {
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
        return breaker.tryAcquirePermission();
    }

    /** Records how a session that was granted permission ended. */
    public void record(SmtpOutcome outcome) {
        long nanos = TimeUnit.MILLISECONDS.toNanos(outcome.durationMillis());
        if (outcome.outcome().endpointFailed()) {
            lastFailureWasConfigError = outcome.outcome() == OutcomeClass.CONFIG_ERROR;
            breaker.onError(nanos, TimeUnit.NANOSECONDS, new EndpointFailure(outcome));
        } else if (outcome.outcome() == OutcomeClass.SENT) {
            lastFailureWasConfigError = false;
            breaker.onSuccess(nanos, TimeUnit.NANOSECONDS);
        } else {
            breaker.releasePermission();
        }
    }

    public CircuitBreaker.State state() {
        return breaker.getState();
    }

    /** 0 closed, 1 half-open, 2 open, 3 suspended. */
    public int stateCode() {
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

    CircuitBreaker.Metrics metrics() {
        return breaker.getMetrics();
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
