package io.submissionrouter.intake;

import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.job.JobProperties;
import io.submissionrouter.job.RouterFault;
import io.submissionrouter.pass.RecordRef;
import io.submissionrouter.rate.GroupRates;
import io.submissionrouter.relay.RelayGroups;
import io.submissionrouter.retry.DeferredJob;
import io.submissionrouter.retry.DeferredRecords;
import io.submissionrouter.retry.RetryTopics;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.apache.camel.Message;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.jboss.logging.Logger;

/**
 * What a relay group's retries route (routes/retries.yaml) does with each record of a retry tier or of the group's
 * waiting topic, on its consumer's thread: another group's record is passed over (finished at once: each group reads
 * every tier, and takes only its own jobs, CONTRACT 5.3 step 3); the group's job, once due, is handed to the jobs pool
 * ({@link InFlightJobs}), which runs {@code direct:redeliver} and commits as it does for the intake. Nothing waits on
 * a thread: a record that must not run yet holds its partition ({@link PartitionProgress#hold}), which its consumer
 * pauses, with its position back on that record, until the hold is over:
 * <ul>
 * <li>a tier record is due its tier's delay after it was written (a waiting record after a pause that grows with the
 * job's waits, {@link #waitBackoff});</li>
 * <li>a waiting topic's record waits while no endpoint of its group admits calls (a probe or the breaker's half-open
 * state lets one in), or until the job reaches {@code submission.retry.max-age} (it then ends {@code EXPIRED}); a
 * group at its rate limit holds it until the group's next permit, so a backlog drains at the group's pace;</li>
 * <li>a record the router cannot read (a {@link RouterFault}: never the job's fault) is read again after a second,
 * logged at ERROR at most once a minute; it is never skipped.</li>
 * </ul>
 */
@ApplicationScoped
@Named("dueRetries")
public class DueRetries {

    static final String ROUTE = "direct:redeliver";
    private static final Logger LOG = Logger.getLogger(DueRetries.class);
    private static final long FAULT_BACKOFF_MS = 1000;
    /** How often a record the router cannot read is logged while it stays held (ERROR). */
    private static final long FAULT_LOG_EVERY_MS = 60_000;
    private static final Duration FIRST_WAIT = Duration.ofMillis(500);
    private static final Duration MAX_WAIT = Duration.ofSeconds(5);

    private final InFlightJobs jobs;
    private final RetryTopics topics;
    private final DeferredRecords records;
    private final RelayGroups groups;
    private final GroupRates rates;
    private final Duration maxAge;
    /** When a record each group cannot read was last logged (ms). */
    private final Map<String, Long> faultLogged = new ConcurrentHashMap<>();

    public DueRetries(InFlightJobs jobs, RetryTopics topics, DeferredRecords records, RelayGroups groups,
            GroupRates rates, SubmissionConfig config) {
        this.jobs = jobs;
        this.topics = topics;
        this.records = records;
        this.groups = groups;
        this.rates = rates;
        this.maxAge = config.retry().maxAge();
    }

    /**
     * A record of a tier or of {@code relay}'s waiting topic, read by {@code relay}'s retries route: passed over, held,
     * or handed to the jobs pool. Returns at once.
     */
    public void dispatch(Exchange exchange, @ExchangeProperty(JobProperties.RETRY_GROUP) String relay) {
        String source = InFlightJobs.retries(relay);
        PartitionProgress progress = jobs.progress(exchange, source);
        if (progress.held()) {
            return; // read again once the record its partition is held at may run
        }
        ConsumerRecord<byte[], byte[]> r = record(exchange.getIn());
        if (!relay.equals(records.relay(r, groups.names()))) {
            progress.passOver(r.offset());
            return;
        }
        long now = System.currentTimeMillis();
        DeferredJob job;
        try {
            job = records.read(r);
        } catch (RouterFault e) {
            if (now - faultLogged.getOrDefault(relay, Long.MIN_VALUE / 2) > FAULT_LOG_EVERY_MS) {
                faultLogged.put(relay, now); // the same fault, every second, until the router is fixed
                LOG.errorf("%s-%d@%d stays there and is read again: %s", r.topic(), r.partition(), r.offset(),
                        e.getMessage());
            }
            progress.hold(r.offset(), after(now + FAULT_BACKOFF_MS));
            return;
        }
        Optional<BooleanSupplier> hold = hold(r, job, now);
        if (hold.isPresent()) {
            progress.hold(r.offset(), hold.get());
            return;
        }
        RecordRef record = new RecordRef(r.topic(), r.partition(), r.offset());
        jobs.start(source, progress, record, r.key(), r.value(), ROUTE,
                Map.of(JobProperties.DEFERRED_JOB, job, JobProperties.RECORD, record));
    }

    /** Until when the job of {@code r} must wait: not due yet, its group admitting nothing, or at its rate limit. */
    private Optional<BooleanSupplier> hold(ConsumerRecord<byte[], byte[]> r, DeferredJob job, long now) {
        long due = r.timestamp() + topics.tierDelay(r.topic())
                .orElseGet(() -> waitBackoff(job.state() == null ? 0 : job.state().waits())).toMillis();
        if (now < due) {
            return Optional.of(after(due));
        }
        String waiting = topics.waitingRelay(r.topic()).orElse(null);
        long deadline = job.source().timestamp().plus(maxAge).toEpochMilli();
        if (waiting == null || now >= deadline) {
            return Optional.empty();
        }
        if (!groups.mayAdmit(waiting)) {
            return Optional.of(() -> System.currentTimeMillis() >= deadline || groups.mayAdmit(waiting));
        }
        if (!rates.admitsSoon(waiting)) {
            // the group's rate: this job's turn comes with the next permit
            return Optional.of(after(now + Math.max(1, rates.untilNextPermit(waiting).toMillis())));
        }
        return Optional.empty();
    }

    private static BooleanSupplier after(long millis) {
        return () -> System.currentTimeMillis() >= millis;
    }

    /** The pause before a parked job is looked at again: grows with every wait, 500 ms up to 5 s. */
    static Duration waitBackoff(int waits) {
        long millis = FIRST_WAIT.toMillis() << Math.min(10, Math.max(0, waits - 1));
        return Duration.ofMillis(Math.min(millis, MAX_WAIT.toMillis()));
    }

    /** The Kafka record camel-kafka made {@code in} of: its coordinates, time, key, value and headers. */
    static ConsumerRecord<byte[], byte[]> record(Message in) {
        Headers headers = in.getHeader(KafkaConstants.HEADERS, Headers.class);
        Object key = in.getHeader(KafkaConstants.KEY);
        return new ConsumerRecord<>(in.getHeader(KafkaConstants.TOPIC, String.class),
                in.getHeader(KafkaConstants.PARTITION, 0, Integer.class),
                in.getHeader(KafkaConstants.OFFSET, -1L, Long.class),
                in.getHeader(KafkaConstants.TIMESTAMP, 0L, Long.class), TimestampType.CREATE_TIME, -1, -1,
                key instanceof byte[] k ? k : null, in.getBody(byte[].class),
                headers == null ? new RecordHeaders() : headers, Optional.empty());
    }
}
