package io.submissionrouter.ops;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.routing.JobProperties;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.camel.Exchange;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.jboss.logging.Logger;

/**
 * Writes Kafka refused (CONTRACT 8.1): each refusal is classified once ({@code permanent}: the record is too large
 * for the topic, the router may not write to it, it cannot be serialized; {@code transient}: anything the broker may
 * take later), counted ({@code submission_kafka_write_failures_total{topic,kind}}), logged (an ERROR line when a
 * topic starts refusing, then at most one a minute while it does, and an INFO line when it takes records again) and
 * shown per topic ({@code submission_kafka_write_refusing{topic}}, health group {@code kafka-writes}).
 * <p>
 * A refused write is retried in place for {@code submission.kafka.write-retry-for} ({@link #retryWhile}); then the
 * exchange fails and the record is read again, with only what its pass still owes to write. A job is never sent
 * again for it: whatever Kafka refuses, the pipeline holds the job until the topic takes the record, and recovers by
 * itself when it does. Nothing is dropped: a record refused permanently waits for the topic's settings to change.
 */
@ApplicationScoped
@Named("kafkaWrites")
public class KafkaWrites {

    /** Exchange property: when the first write of this exchange was refused. */
    private static final Duration LOG_EVERY = Duration.ofMinutes(1);
    private static final Set<Class<? extends Throwable>> PERMANENT = Set.of(RecordTooLargeException.class,
            RecordBatchTooLargeException.class, AuthorizationException.class, AuthenticationException.class,
            SerializationException.class, InvalidTopicException.class, UnsupportedVersionException.class);
    private static final Logger LOG = Logger.getLogger(KafkaWrites.class);

    private final MeterRegistry registry;
    private final Duration retryFor;
    /** The topics refusing records now, with when they started and when it was last logged. */
    private final Map<String, Refusal> refusing = new ConcurrentHashMap<>();
    private final Set<String> gauged = ConcurrentHashMap.newKeySet();

    /** A topic refusing records: since when, why, when a line was last logged, and the last refusal. */
    public record Refusal(Instant since, String kind, String reason, Instant loggedAt, Instant last) {
    }

    public KafkaWrites(MeterRegistry registry, SubmissionConfig config) {
        this.registry = registry;
        this.retryFor = config.kafka().writeRetryFor();
    }

    /**
     * No new SMTP session while this replica's completion records are refused: a server could accept a message whose
     * completion cannot be made durable, and a replica that takes the partition over would send it again. Waits up to
     * {@code write-retry-for} for the topic to take records again, then fails the job's pass (its record is read
     * again later; nothing was sent).
     *
     * @throws Refusing when the topic still refuses records
     */
    public void holdWhileRefusing(String topic) {
        if (refusing.isEmpty() || !refusing().containsKey(topic)) {
            return;
        }
        long deadline = System.nanoTime() + retryFor.toNanos();
        while (refusing().containsKey(topic)) {
            if (System.nanoTime() > deadline) {
                throw new Refusing(topic);
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Refusing(topic);
            }
        }
    }

    /** A job held back because a topic it must write to refuses records; the job is read again later. */
    public static final class Refusing extends org.apache.kafka.common.KafkaException {
        public Refusing(String topic) {
            super("Kafka refuses records on " + topic + ": no SMTP session starts until it takes them again");
        }
    }

    /** Whether a refused write is tried again in place: for {@code submission.kafka.write-retry-for}. */
    public boolean retryWhile(Exchange exchange) {
        Instant first = exchange.getProperty(JobProperties.FIRST_REFUSAL, Instant.class);
        Instant now = Instant.now();
        if (first == null) {
            exchange.setProperty(JobProperties.FIRST_REFUSAL, now);
            return true;
        }
        return Duration.between(first, now).compareTo(retryFor) < 0;
    }

    /** A write was refused (called before each retry, and once more when the retries are over). */
    public void refused(Exchange exchange) {
        Throwable cause = exchange.getException() != null ? exchange.getException()
                : exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        for (String topic : topics(exchange)) {
            refused(topic, cause);
        }
    }

    private void refused(String topic, Throwable cause) {
        String kind = permanent(cause) ? "permanent" : "transient";
        Counter.builder("submission.kafka.write.failures")
                .description("Records Kafka refused to take, by topic and kind (permanent: too large, not authorised, "
                        + "not serializable; transient: anything else)")
                .tags("topic", topic, "kind", kind).register(registry).increment();
        String reason = cause == null ? "unknown" : cause.getClass().getSimpleName() + ": " + cause.getMessage();
        Instant now = Instant.now();
        Refusal before = refusing.get(topic);
        if (before == null) {
            gauge(topic);
            LOG.errorf("Kafka refuses records on %s (%s, %s). %s Nothing is sent again meanwhile: the jobs wait, "
                    + "and go on by themselves once the topic takes records.", topic, kind, reason, advice(cause, topic));
            refusing.put(topic, new Refusal(now, kind, reason, now, now));
        } else if (Duration.between(before.loggedAt(), now).compareTo(LOG_EVERY) >= 0) {
            LOG.errorf("Kafka still refuses records on %s since %s (%s, %s)", topic, before.since(), kind, reason);
            refusing.put(topic, new Refusal(before.since(), kind, reason, now, now));
        } else {
            refusing.put(topic, new Refusal(before.since(), kind, reason, before.loggedAt(), now));
        }
    }

    /** Kafka took a record on {@code topic}. */
    public void ok(String topic) {
        if (!refusing.isEmpty()) {
            Refusal gone = refusing.remove(topic);
            if (gone != null) {
                LOG.infof("Kafka takes records on %s again (refused since %s)", topic, gone.since());
            }
        }
    }

    /**
     * The topics refusing records now. A topic no job has been refused on for a while (twice write-retry-for, at
     * least a minute) holds no job any more: it is not reported, whether or not a write has succeeded on it since.
     */
    public Map<String, Refusal> refusing() {
        Instant stale = Instant.now().minus(retryFor.multipliedBy(2).compareTo(LOG_EVERY) > 0
                ? retryFor.multipliedBy(2) : LOG_EVERY);
        refusing.values().removeIf(r -> r.last().isBefore(stale));
        return Map.copyOf(refusing);
    }

    static boolean permanent(Throwable t) {
        for (int depth = 0; t != null && depth < 10; depth++, t = t.getCause()) {
            for (Class<? extends Throwable> c : PERMANENT) {
                if (c.isInstance(t)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static String advice(Throwable cause, String topic) {
        if (cause instanceof RecordTooLargeException || cause instanceof RecordBatchTooLargeException) {
            return "The record is larger than the topic's max.message.bytes: raise it to the jobs topic's (CONTRACT 1).";
        }
        if (cause instanceof AuthorizationException || cause instanceof AuthenticationException) {
            return "The router may not write to " + topic + ": grant it Write (and Describe) on the topic.";
        }
        return "";
    }

    /**
     * The topics of the failed write: those of the records it left unacknowledged (a pass's write of several records,
     * {@link JobProperties#REFUSED_TOPICS}), or the endpoint's.
     */
    private static Set<String> topics(Exchange exchange) {
        @SuppressWarnings("unchecked")
        Set<String> refused = exchange.getProperty(JobProperties.REFUSED_TOPICS, Set.class);
        if (refused != null && !refused.isEmpty()) {
            return refused;
        }
        String uri = exchange.getProperty(Exchange.FAILURE_ENDPOINT, String.class);
        if (uri == null) {
            uri = exchange.getProperty(Exchange.TO_ENDPOINT, String.class);
        }
        return Set.of(uri == null ? "unknown" : uri.replaceFirst("^kafka:(//)?", "").replaceFirst("\\?.*$", ""));
    }

    private void gauge(String topic) {
        if (!gauged.add(topic)) {
            return;
        }
        Gauge.builder("submission.kafka.write.refusing", this, w -> w.refusing().containsKey(topic) ? 1 : 0)
                .description("1 while Kafka refuses records on the topic").tags("topic", topic).register(registry);
    }
}
