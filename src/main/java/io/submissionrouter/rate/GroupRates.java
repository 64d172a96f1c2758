package io.submissionrouter.rate;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import io.submissionrouter.config.RelaySettings;
import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.relay.RelayGroups;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.TreeMap;
import org.jboss.logging.Logger;

/**
 * The sending rate of every relay group in this replica ({@link GroupRate}): {@code submission.relays.<name>.rate-limit}
 * shared by the replicas by their partitions of the jobs topic ({@link JobsTopicShare}), slowed down by
 * {@code throttled} answers. Reported as {@code submission_rate_limit{relay}} (messages per second here;
 * {@code +Inf} without a limit).
 */
@ApplicationScoped
@Startup // its meters are on /q/metrics from the start, not from the first job's use of it
public class GroupRates {

    private static final Logger LOG = Logger.getLogger(GroupRates.class);

    private final Map<String, GroupRate> rates = new TreeMap<>();
    private final Duration intakeWait;
    private int lastAssigned = -1;
    private int lastTotal = -1;

    public GroupRates(RelayGroups groups, SubmissionConfig config, MeterRegistry registry) {
        SubmissionConfig.Throttle throttle = config.throttle();
        Duration maxWait = maxWait(config.consumer());
        this.intakeWait = throttle.intakeWait().compareTo(maxWait) < 0 ? throttle.intakeWait() : maxWait;
        for (String relay : groups.names()) {
            OptionalDouble limit = relay.equals(RelaySettings.DEFAULT_RELAY) ? optional(config.smtp().rateLimit())
                    : optional(config.relays().get(relay).rateLimit());
            GroupRate rate = new GroupRate(relay, limit, throttle.minRate(), throttle.recoveryInterval(), maxWait);
            rates.put(relay, rate);
            Gauge.builder("submission.rate.limit", rate, GroupRate::rate)
                    .description("Messages per second this replica may send to the relay group (+Inf: no limit)")
                    .tags("relay", relay).register(registry);
            limit.ifPresent(l -> LOG.infof("relay group %s: rate-limit %s messages/s for the whole consumer group",
                    relay, l));
        }
    }

    /**
     * The bound of any wait for a permit: the consumer must poll again within {@code max-poll-interval-ms}
     * with up to {@code max-poll-records} jobs, so each may wait half its part of it (9 s by default).
     */
    static Duration maxWait(SubmissionConfig.Consumer consumer) {
        return Duration.ofMillis(Math.max(100, consumer.maxPollIntervalMs() / Math.max(1, consumer.maxPollRecords()) / 2));
    }

    private static OptionalDouble optional(java.util.Optional<Double> value) {
        return value.map(OptionalDouble::of).orElse(OptionalDouble.empty());
    }

    /**
     * Takes a permit to send one message of {@code relay}'s, waiting for it at most {@code submission.throttle.intake-wait};
     * false (no permit taken) when it would come later.
     */
    public boolean acquire(String relay) {
        GroupRate rate = rates.get(relay);
        return rate == null || rate.acquire(Instant.now(), intakeWait);
    }

    /** Whether {@code relay} would grant a permit within {@code intake-wait}: its waiting jobs may come now. */
    public boolean admitsSoon(String relay) {
        return untilNextPermit(relay).compareTo(intakeWait) <= 0;
    }

    /** How long until {@code relay}'s next permit here; zero without a limit. */
    public Duration untilNextPermit(String relay) {
        GroupRate rate = rates.get(relay);
        return rate == null ? Duration.ZERO : rate.untilNextPermit();
    }

    /** A throttled answer from an endpoint of {@code relay}. */
    public void throttled(String relay) {
        GroupRate rate = rates.get(relay);
        if (rate != null) {
            double before = rate.rate();
            rate.throttled(Instant.now());
            if (rate.rate() < before) {
                LOG.warnf("relay group %s is throttled by its provider: slowing down to %.2f messages/s in this replica",
                        relay, rate.rate());
            }
        }
    }

    /** This replica now holds {@code assigned} of the jobs topic's {@code total} partitions. */
    public synchronized void share(int assigned, int total) {
        if (assigned == lastAssigned && total == lastTotal) {
            return;
        }
        rates.values().forEach(r -> r.share(assigned, total));
        lastAssigned = assigned;
        lastTotal = total;
        LOG.infof("this replica holds %d of %d partitions of the jobs topic; rate limits here: %s", assigned, total,
                rates.values().stream().filter(r -> !Double.isInfinite(r.rate()))
                        .map(r -> r.relay() + " " + String.format("%.2f/s", r.rate())).toList());
    }

    /** Messages per second {@code relay} may send from this replica now. */
    public double rate(String relay) {
        GroupRate rate = rates.get(relay);
        return rate == null ? Double.POSITIVE_INFINITY : rate.rate();
    }
}
