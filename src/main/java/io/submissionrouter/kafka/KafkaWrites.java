package io.submissionrouter.kafka;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.job.JobProperties;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.camel.Exchange;
import org.apache.camel.util.ObjectHelper;
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
 * itself when it does. Nothing is dropped: a record refused permanently waits for the topic's settings to change. The
 * one exception is a dead letter larger than the dead-letter topic must take (its record came compressed), which
 * {@code DeadLettersTooLarge} writes without the original value once these retries are over.
 * <p>
 * A record refused as too large for its own size ({@link OneRecordTooLarge}) is the record's refusal, not its
 * topic's (CONTRACT 9.3): it is counted, logged and shown like the others, but holds no session; only its job waits,
 * and the refusal is over once that job's record is taken.
 */
@ApplicationScoped
@Named("kafkaWrites")
public class KafkaWrites {

    /** How often a topic that goes on refusing records is logged again (an ERROR line at most this often). */
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

    /**
     * A topic refusing records: since when, why, when a line was last logged, the last refusal, and the one record it
     * refuses (its key, a jobId) when the refusal is that record's (too large), not the topic's (null).
     */
    public record Refusal(Instant since, String kind, String reason, Instant loggedAt, Instant last, String record) {
        Refusal seen(String kind, String reason, Instant loggedAt, Instant last, String record) {
            return new Refusal(since, kind, reason, loggedAt, last, this.record == null ? null : record);
        }
    }

    private final ProducerWatch producers;

    public KafkaWrites(MeterRegistry registry, SubmissionConfig config, ProducerWatch producers) {
        this.registry = registry;
        this.retryFor = config.kafka().writeRetryFor();
        this.producers = producers;
    }

    /**
     * No new SMTP session while this replica's completion records cannot be written: refused by {@code topic}, or not
     * answered by the producer at all (CONTRACT 9.5): a server could accept a message whose completion cannot be made
     * durable, and a replica that takes the partition over would send it again. Waits up to {@code write-retry-for}
     * for writes to work again, then fails the job's pass (its record is read again later; nothing was sent). A topic
     * refusing one record as too large for its own size holds nothing here: only that record's job waits.
     *
     * @throws Refusing when writes still do not work
     */
    public void holdUntilCompletionsCanBeWritten(String topic) {
        String why;
        long deadline = System.nanoTime() + retryFor.toNanos();
        while ((why = cannotWrite(topic)) != null) {
            if (System.nanoTime() > deadline) {
                throw new Refusing(why);
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Refusing(why);
            }
        }
    }

    /** Why a completion on {@code topic} could not be written now, or null. */
    private String cannotWrite(String topic) {
        if (!refusing.isEmpty()) {
            Refusal r = refusing().get(topic);
            if (r != null && r.record() == null) {
                return "Kafka refuses records on " + topic;
            }
        }
        return producers.unanswered();
    }

    /** A job held back because the writes it will need do not work; the job is read again later, unsent. */
    public static final class Refusing extends org.apache.kafka.common.KafkaException {
        public Refusing(String why) {
            super(why + ": no SMTP session starts until Kafka takes the router's records again");
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
        if (ObjectHelper.getException(WriteUnanswered.class, cause) != null) {
            // not a refusal: the producer did not answer (ProducerWatch shows it and holds the sessions)
            LOG.debugf("a write to %s is written again: %s", topic, cause.getMessage());
            return;
        }
        OneRecordTooLarge own = ObjectHelper.getException(OneRecordTooLarge.class, cause);
        String record = own != null && own.topic().equals(topic) ? own.key() : null;
        Throwable shown = own != null ? own.getCause() : cause;
        String reason = shown == null ? "unknown" : shown.getClass().getSimpleName() + ": " + shown.getMessage();
        Instant now = Instant.now();
        Refusal before = refusing.get(topic);
        if (before == null) {
            gauge(topic);
            LOG.errorf("Kafka refuses records on %s (%s, %s). %s Nothing is sent again meanwhile: %s", topic, kind,
                    own != null ? own.getMessage() : reason, advice(shown, topic), record != null
                            ? "only job " + record + " waits (the record is larger than the others the topic takes), "
                            + "and goes on by itself once the topic takes it."
                            : "the jobs wait, and go on by themselves once the topic takes records.");
            refusing.put(topic, new Refusal(now, kind, reason, now, now, record));
        } else if (Duration.between(before.loggedAt(), now).compareTo(LOG_EVERY) >= 0) {
            LOG.errorf("Kafka still refuses records on %s since %s (%s, %s)", topic, before.since(), kind, reason);
            refusing.put(topic, before.seen(kind, reason, now, now, record));
        } else {
            refusing.put(topic, before.seen(kind, reason, before.loggedAt(), now, record));
        }
    }

    /**
     * Kafka took a record of job {@code jobId} on {@code topic}: a refusal of the topic is over, and so is a refusal of
     * that one record.
     */
    public void ok(String topic, String jobId) {
        if (!refusing.isEmpty()) {
            Refusal r = refusing.get(topic);
            if (r != null && (r.record() == null || r.record().equals(jobId)) && refusing.remove(topic, r)) {
                LOG.infof("Kafka takes records on %s again (refused since %s)", topic, r.since());
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
        return t != null && PERMANENT.stream().anyMatch(c -> ObjectHelper.getException(c, t) != null);
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
     * {@link JobProperties#REFUSED_TOPICS}), or the write's ({@link JobProperties#KAFKA_TOPIC}).
     */
    private static Set<String> topics(Exchange exchange) {
        @SuppressWarnings("unchecked")
        Set<String> refused = exchange.getProperty(JobProperties.REFUSED_TOPICS, Set.class);
        if (refused != null && !refused.isEmpty()) {
            return refused;
        }
        return Set.of(exchange.getProperty(JobProperties.KAFKA_TOPIC, "unknown", String.class));
    }

    /** Registered at a topic's first refusal, once (Micrometer warns of a gauge registered again). */
    private void gauge(String topic) {
        if (!gauged.add(topic)) {
            return;
        }
        Gauge.builder("submission.kafka.write.refusing", this, w -> w.refusing().containsKey(topic) ? 1 : 0)
                .description("1 while Kafka refuses records on the topic").tags("topic", topic).register(registry);
    }
}
