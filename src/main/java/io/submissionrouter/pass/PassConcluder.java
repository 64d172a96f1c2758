package io.submissionrouter.pass;

import io.opentelemetry.api.trace.Span;
import io.submissionrouter.job.JobProperties;
import io.submissionrouter.relay.SubmissionMetrics;
import io.submissionrouter.results.DeliveryResult;
import io.submissionrouter.results.Status;
import io.submissionrouter.smtp.SmtpOutcome;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.apache.camel.util.ObjectHelper;
import org.apache.kafka.common.KafkaException;
import org.jboss.logging.Logger;
import org.jboss.logging.MDC;

/**
 * Concludes a pass of a job, once: what it owes Kafka ({@link PassOutputs}: the completion, its attempt events,
 * the dead letter, the result), its count and its log line. A job is completed (CONTRACT 5.4, 8.1) when it ends
 * {@code SENT}, {@code REJECTED} or {@code UNCERTAIN}, and as soon as a server accepted it for any recipient, even
 * while others wait for a retry.
 */
@ApplicationScoped
@Named("passConcluder")
public class PassConcluder {

    private static final Set<Status> COMPLETING = EnumSet.of(Status.SENT, Status.REJECTED, Status.UNCERTAIN);
    private static final Logger LOG = Logger.getLogger(PassConcluder.class);

    private final SubmissionMetrics metrics;
    private final JobTraces traces;

    public PassConcluder(SubmissionMetrics metrics, JobTraces traces) {
        this.metrics = metrics;
        this.traces = traces;
    }

    /** Decides what the pass owes Kafka; nothing for a pass concluded before (read again to finish its writes). */
    public void conclude(@ExchangeProperty(JobProperties.PASS) Pass d,
            @ExchangeProperty(JobProperties.SPAN) Span span) {
        if (!d.conclude()) {
            return;
        }
        PassOutputs out = d.outputs();
        d.drainAttempts().forEach(e -> out.attempt(e, traces.attempt(span, d.source(), e)));
        Instant now = Instant.now();
        if (d.next() != Pass.Next.DONE) {
            if (d.acceptedInThisPass()) {
                // accepted for some recipients, others wait: the job is completed, so no copy of it is sent again
                out.completion(new Completion(Status.SENT, d.message().messageId(), now, RecordRef.of(d.source()),
                        false, null, d.deferredState()));
            }
            return;
        }
        if (d.status() == null) {
            throw new IllegalStateException("job " + d.jobId() + " left the router without a status");
        }
        DeliveryResult result = d.jobId() == null ? null : resultOf(d, now);
        if (result != null) {
            out.result(result, traces.traceparent(span, d.source()));
            if (COMPLETING.contains(d.status()) && d.original() == null) {
                out.completion(new Completion(d.status(), result.messageId(), result.completedAt(),
                        RecordRef.of(d.source()), true, result, null));
            }
        }
        out.deadLetter(d.status() == Status.INVALID || d.status() == Status.FAILED);
        metrics.job(d.relay(), d.status());
        logOutcome(d, Duration.between(d.receivedAt(), now).toMillis(), traces.traceId(span, d.source()));
    }

    /**
     * The same job's record read again after the pass that ended it (on this replica or another) may not have
     * written its result: it is written again, as it was ({@code ce_id} too), and nothing is sent or counted.
     */
    public Pass replay(Pass d, CompletedJob original, DeliveryResult result) {
        LOG.infof("job=%s status=%s: its record was read again after the job ended (%s); its result is written "
                + "again and nothing is sent", d.jobId(), original.status(), original.completedAt());
        d.conclude();
        d.outputs().result(result, d.source().traceparent());
        return d;
    }

    /**
     * One line per job outcome, its fields also as MDC entries (the "mdc" object of a JSON log line). Never a
     * credential, an address list or a body.
     */
    private static void logOutcome(Pass d, long durationMs, String traceId) {
        String endpoint = d.lastEndpoint() == null ? "-" : d.lastEndpoint().name();
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("jobId", String.valueOf(d.jobId()));
        fields.put("status", d.status().name());
        fields.put("relay", String.valueOf(d.relay()));
        fields.put("endpoint", endpoint);
        fields.put("attempt", String.valueOf(d.sessions()));
        fields.put("durationMs", String.valueOf(durationMs));
        if (d.error() != null) {
            fields.put("errorCode", d.error().code());
        }
        if (traceId != null) {
            fields.put("traceId", traceId);
        }
        fields.forEach(MDC::put);
        try {
            LOG.infof("job=%s status=%s endpoint=%s attempts=%d durationMs=%d%s%s", d.jobId(), d.status(), endpoint,
                    d.sessions(), durationMs, d.error() == null ? "" : " error=" + d.error().code(),
                    d.failed().isEmpty() ? "" : " failedRecipients=" + d.failed().size());
        } finally {
            fields.keySet().forEach(MDC::remove);
        }
    }

    /**
     * Whether {@code caught} is a bug met by the job, which must not stall the partition (the job ends), rather than
     * Kafka being unreachable or the consumer shutting down, which must not lose it (its record is consumed again).
     */
    public boolean isJobFault(@ExchangeProperty(Exchange.EXCEPTION_CAUGHT) Throwable caught) {
        for (Throwable t : ObjectHelper.createExceptionIterable(caught)) {
            if (t instanceof InterruptedException || t instanceof KafkaException
                    || t.getClass().getName().startsWith("org.apache.kafka.")) {
                return false;
            }
        }
        return true;
    }

    /** A bug met by the job: it ends as far as it got (FAILED, in the dead-letter topic, if no server took it). */
    public void failInternally(@ExchangeProperty(JobProperties.PASS) Pass d,
            @ExchangeProperty(Exchange.EXCEPTION_CAUGHT) Throwable cause) {
        LOG.errorf(cause, "job %s failed inside the router", d.jobId());
        d.end("INTERNAL_ERROR", cause == null ? "unknown" : cause.getClass().getSimpleName() + ": "
                + cause.getMessage());
    }

    public static DeliveryResult resultOf(Pass d, Instant now) {
        SmtpOutcome o = d.decisive();
        boolean replied = o != null && o.reply() != null;
        CompletedJob original = d.original();
        String messageId = original != null ? original.messageId()
                : d.message() == null || d.status() == Status.INVALID ? null : d.message().messageId();
        return new DeliveryResult(d.jobId(), d.status(), d.relay(), d.lastEndpoint(),
                replied ? o.reply().code() : null, replied ? o.reply().enhancedCode() : null,
                replied ? o.reply().text() : null, messageId,
                d.sessions(), d.possibleDuplicate(),
                List.copyOf(d.accepted()), List.copyOf(d.rejected()), List.copyOf(d.failed()), d.error(),
                d.metadata(), d.receivedAt(), original != null ? original.completedAt() : now,
                original != null ? original.status() : null);
    }
}
