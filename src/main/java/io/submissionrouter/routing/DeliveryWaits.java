package io.submissionrouter.routing;

import io.submissionrouter.config.SubmissionConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.camel.Exchange;

/**
 * Waits of a job that cannot be sent right now, held on the consumer thread so nothing is lost and the
 * offset stays uncommitted: the retry delay after a transient, throttled or uncertain outcome, and the
 * wait for an endpoint while no breaker of the group admits calls. Both end when the job outlives
 * {@code submission.retry.max-age} ({@code FAILED}, {@code EXPIRED}).
 * <p>
 * These waits hold the job's partition. Durable retry tiers and per-relay waiting topics, which do not,
 * are the subject of the reliability work (README, "Roadmap").
 */
@ApplicationScoped
@Named("deliveryWaits")
public class DeliveryWaits {

    private static final Duration POLL = Duration.ofMillis(100);
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(500);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

    private final RelayGroups groups;
    private final List<Duration> delays;
    private final Duration maxAge;

    public DeliveryWaits(RelayGroups groups, SubmissionConfig config) {
        this.groups = groups;
        this.delays = config.retry().delays();
        this.maxAge = config.retry().maxAge();
    }

    /** Waits for the delay tier of the job's retry count, then starts a new pass over the endpoints. */
    public void retryLater(Exchange exchange) {
        Delivery delivery = exchange.getProperty(Delivery.PROPERTY, Delivery.class);
        int n = Math.max(1, delivery.retryableOutcomes());
        Duration delay = delays.get(Math.min(n, delays.size()) - 1);
        Instant deadline = deadline(delivery);
        if (Instant.now().plus(delay).isAfter(deadline)) {
            delivery.expire("the next retry (in " + delay + ") would come after submission.retry.max-age (" + maxAge + ")");
        } else {
            sleep(delay);
            delivery.newPass();
        }
        exchange.setProperty(EndpointSelector.NEXT, delivery.next().wireName());
    }

    /**
     * Waits until an endpoint of the job's group may admit calls again (its breaker is closed or
     * half-open), at least a short backoff that grows with every wait, then starts a new pass.
     */
    public void awaitEndpoint(Exchange exchange) {
        Delivery delivery = exchange.getProperty(Delivery.PROPERTY, Delivery.class);
        Instant deadline = deadline(delivery);
        Duration backoff = backoff(delivery.waits());
        Instant earliest = Instant.now().plus(backoff);
        while (true) {
            Instant now = Instant.now();
            if (now.isAfter(deadline)) {
                delivery.expire("no endpoint of relay group '" + delivery.relay()
                        + "' admitted calls within submission.retry.max-age (" + maxAge + ")");
                break;
            }
            if (!now.isBefore(earliest) && anyMayAdmit(delivery.relay())) {
                delivery.newPass();
                break;
            }
            sleep(POLL);
        }
        exchange.setProperty(EndpointSelector.NEXT, delivery.next().wireName());
    }

    static Duration backoff(int waits) {
        long millis = FIRST_BACKOFF.toMillis() << Math.min(10, Math.max(0, waits - 1));
        return Duration.ofMillis(Math.min(millis, MAX_BACKOFF.toMillis()));
    }

    private boolean anyMayAdmit(String relay) {
        return groups.group(relay).stream().anyMatch(e -> e.breaker().stateCode() <= EndpointBreaker.HALF_OPEN);
    }

    private Instant deadline(Delivery delivery) {
        return delivery.source().timestamp().plus(maxAge);
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DeliveryInterruptedException();
        }
    }

    /** The consumer is shutting down while a job waits: the job is not committed and will be consumed again. */
    public static final class DeliveryInterruptedException extends RuntimeException {
        DeliveryInterruptedException() {
            super("interrupted while waiting; the record stays uncommitted and will be consumed again");
        }
    }
}
