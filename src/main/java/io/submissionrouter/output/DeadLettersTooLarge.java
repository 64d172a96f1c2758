package io.submissionrouter.output;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.job.JobProperties;
import io.submissionrouter.pass.Pass;
import io.submissionrouter.pass.SourceRecord;
import io.submissionrouter.results.RecordTexts;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import java.time.Duration;
import java.util.Set;
import org.apache.camel.Exchange;
import org.apache.camel.util.ObjectHelper;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.jboss.logging.Logger;

/**
 * The last resort for a dead letter Kafka will never take (README "Record sizes"). A dead letter is the job's own
 * record, and a record can be larger than the dead-letter topic must take (a dead letter of a record as large as the
 * jobs topic took at startup): its producer compressed it (Kafka checks {@code max.message.bytes} against the
 * compressed batch, the router writes uncompressed), or the jobs topic was raised since. Kafka refuses such a dead
 * letter for good, and it would hold its partition's commit for ever. One that Kafka refused as too large for the
 * whole of {@code submission.kafka.write-retry-for} goes without the original value from then on:
 * {@code error.code} {@value #CODE}, why and where the original is (its {@code source.*} coordinates, while the jobs
 * topic's retention lasts) in {@code error.message}, the original's code and size in {@value #ORIGINAL_CODE} and
 * {@value #ORIGINAL_SIZE}. That is the one exception to CONTRACT 4 (the original bytes): the alternative is a stalled
 * partition. Counted ({@code submission_dead_letters_without_value_total}) and logged at ERROR.
 * <p>
 * A dead letter within what the topic must take is never cut: when Kafka refuses it, the topic takes less than it
 * must (its {@code max.message.bytes} came down), and it waits for the topic like any refused record (KafkaWrites).
 */
@ApplicationScoped
@Named("deadLettersTooLarge")
public class DeadLettersTooLarge {

    /** {@code error.code} of a dead letter without the original value. */
    public static final String CODE = "TOO_LARGE_FOR_DLQ";
    /** Header: the {@code error.code} the dead letter would have carried. */
    public static final String ORIGINAL_CODE = "original.error.code";
    /** Header: the size of the original record's value, in bytes. */
    public static final String ORIGINAL_SIZE = "original.size";

    private static final Logger LOG = Logger.getLogger(DeadLettersTooLarge.class);

    private final OutputTopics outputTopics;
    private final String dlq;
    private final Duration retryFor;
    private final Counter cut;

    public DeadLettersTooLarge(OutputTopics outputTopics, SubmissionConfig config, MeterRegistry registry) {
        this.outputTopics = outputTopics;
        this.dlq = config.topics().dlq();
        this.retryFor = config.kafka().writeRetryFor();
        this.cut = Counter.builder("submission.dead.letters.without.value")
                .description("Dead letters Kafka refused as too large for the dead-letter topic for write-retry-for, "
                        + "written without the original value (error.code " + CODE + ")")
                .register(registry);
    }

    /**
     * Kafka refused the pass's write for {@code write-retry-for} (route configuration kafka-writes, once its retries
     * are over; the pass fails and its job runs again): if the write left the dead letter unacknowledged, refused as
     * too large, and it is larger than the dead-letter topic must take, the pass writes it without the value from now
     * on.
     */
    public void refusedForGood(Exchange exchange) {
        Pass d = exchange.getProperty(JobProperties.PASS, Pass.class);
        @SuppressWarnings("unchecked")
        Set<String> refused = exchange.getProperty(JobProperties.REFUSED_TOPICS, Set.class);
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        if (d == null || !d.outputs().deadLetter() || d.outputs().deadLetterWithoutValue() != null || refused == null
                || !refused.contains(dlq) || !tooLarge(cause)) {
            return;
        }
        long bytes = outputTopics.deadLetterBytes(d.source(), d.jobId());
        long need = outputTopics.deadLetterNeed();
        if (need == 0 || bytes <= need) {
            return; // the topic takes less than it must: the dead letter waits for it
        }
        SourceRecord s = d.source();
        String original = s.topic() + "-" + s.partition() + "@" + s.offset();
        int size = s.value() == null ? 0 : s.value().length;
        d.outputs().deadLetterWithoutValue(RecordTexts.cut("dead for " + d.error().code() + "; the original record is "
                + original + " (" + size + " bytes), kept there while that topic's retention lasts. Kafka refused its "
                + "dead letter as too large for " + retryFor + ": it is larger than " + dlq + " must take (" + need
                + " bytes, a dead letter of a record as large as the jobs topic took at startup); its producer "
                + "compressed it, or the jobs topic was raised since. Why it is dead: " + d.error().message(),
                RecordTexts.MAX_MESSAGE_CHARS));
        cut.increment();
        LOG.errorf("the dead letter of job %s (%s, up to %d bytes) is larger than %s must take (%d bytes) and Kafka "
                + "refused it as too large for %s: it is written without the original value (error.code %s); the "
                + "original is record %s while that topic's retention lasts", d.jobId(), d.error().code(), bytes, dlq,
                need, retryFor, CODE, original);
    }

    private static boolean tooLarge(Throwable t) {
        return ObjectHelper.getException(RecordTooLargeException.class, t) != null
                || ObjectHelper.getException(RecordBatchTooLargeException.class, t) != null;
    }
}
