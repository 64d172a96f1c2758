package io.submissionrouter.retry;

import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.kafka.Topics;
import io.submissionrouter.relay.RelayGroups;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.common.config.TopicConfig;

/**
 * The retry tiers and waiting topics (CONTRACT 1 and 5.3): one topic per delay of
 * {@code submission.retry.delays}, named {@code <prefix>-<delay>} ({@code email.jobs.retry-30s},
 * {@code email.jobs.retry-2m}, ...), and one waiting topic per relay group, {@code <prefix>-wait-<relay>}.
 * Every record in a tier waits the same delay, so records become due in the order they were written and a
 * job due in a second never waits behind one due in an hour.
 */
@ApplicationScoped
public class RetryTopics {

    private static final long[] UNIT_MS = {86_400_000, 3_600_000, 60_000, 1000};
    private static final String[] UNITS = {"d", "h", "m", "s"};

    private final String prefix;
    private final List<Duration> delays;
    private final Map<String, Duration> tiers = new LinkedHashMap<>();
    private final Map<String, String> waiting = new HashMap<>();
    private final Duration retention;

    @Inject
    public RetryTopics(SubmissionConfig config, RelayGroups groups) {
        this(config, groups.names());
    }

    /** The tiers of {@code config} and the waiting topics of the relay groups {@code relays}. */
    public RetryTopics(SubmissionConfig config, java.util.Set<String> relays) {
        this.prefix = config.topics().retry();
        this.delays = List.copyOf(config.retry().delays());
        this.retention = config.retry().retention();
        for (Duration d : delays) {
            tiers.put(prefix + "-" + delayName(d), d);
        }
        for (String relay : relays) {
            waiting.put(waitTopic(relay), relay);
        }
    }

    /** A delay as topic names spell it: {@code 30s}, {@code 2m}, {@code 1h}, {@code 7d}, {@code 200ms}. */
    static String delayName(Duration d) {
        long ms = d.toMillis();
        for (int i = 0; i < UNITS.length; i++) {
            if (ms > 0 && ms % UNIT_MS[i] == 0) {
                return ms / UNIT_MS[i] + UNITS[i];
            }
        }
        return ms + "ms";
    }

    /** The delay before retry number {@code n} (1 for the first): tier min(n, last). */
    public Duration delay(int n) {
        return delays.get(Math.min(Math.max(1, n), delays.size()) - 1);
    }

    /** The tier topic of retry number {@code n}. */
    public String tier(int n) {
        return prefix + "-" + delayName(delay(n));
    }

    public String waitTopic(String relay) {
        return prefix + "-wait-" + relay;
    }

    /** The delay of a tier topic; empty for any other topic. */
    public Optional<Duration> tierDelay(String topic) {
        return Optional.ofNullable(tiers.get(topic));
    }

    /** The relay group whose waiting topic this is; empty for any other topic. */
    public Optional<String> waitingRelay(String topic) {
        return Optional.ofNullable(waiting.get(topic));
    }

    /** The tier topics, shortest delay first. */
    public List<String> tiers() {
        return List.copyOf(tiers.keySet());
    }

    /** Every tier and waiting topic. */
    public List<String> all() {
        List<String> all = new ArrayList<>(tiers.keySet());
        all.addAll(waiting.keySet().stream().sorted().toList());
        return all;
    }

    /**
     * Creates the missing tier and waiting topics like the jobs topic (as many partitions), taking records of up to
     * {@code maxMessageBytes} (what OutputTopics found a job as large as the jobs topic takes needs, with the
     * state it carries; CONTRACT 1 and 9.3), kept for {@code submission.retry.retention}. What they take in the end
     * (OutputTopics raises those an earlier version made too small) is {@code OutputTopics.retryTakes()}, so that a job
     * whose record would not fit is not deferred.
     */
    public void create(Properties client, Topics.JobsTopic jobs, long maxMessageBytes) {
        Topics.ensure(client, all(), jobs.partitions(), Map.of(
                TopicConfig.RETENTION_MS_CONFIG, String.valueOf(retention.toMillis()),
                TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(maxMessageBytes)));
    }
}
