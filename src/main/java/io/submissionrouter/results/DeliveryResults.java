package io.submissionrouter.results;

import io.submissionrouter.idempotency.Completion;
import io.submissionrouter.ops.JobTraces;
import io.submissionrouter.ops.SubmissionMetrics;
import io.submissionrouter.routing.Delivery;
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
import org.jboss.logging.Logger;
import org.jboss.logging.MDC;

/**
 * Turns a finished {@link Delivery} into its {@link DeliveryResult}, counts it and logs one line per job.
 * Sets the exchange properties the results route branches on: {@value #RESULT} (absent when no jobId
 * could be read) and {@value #DEAD_LETTER} (INVALID and FAILED jobs go to the dead-letter topic).
 */
@ApplicationScoped
@Named("deliveryResults")
public class DeliveryResults {

    public static final String RESULT = "result";
    public static final String DEAD_LETTER = "deadLetter";
    /** Exchange property: the {@link Completion} to remember, for SENT, REJECTED and UNCERTAIN jobs. */
    public static final String COMPLETION = "completion";
    private static final Set<Status> COMPLETING = EnumSet.of(Status.SENT, Status.REJECTED, Status.UNCERTAIN);
    private static final Logger LOG = Logger.getLogger(DeliveryResults.class);

    private final SubmissionMetrics metrics;
    private final JobTraces traces;

    public DeliveryResults(SubmissionMetrics metrics, JobTraces traces) {
        this.metrics = metrics;
        this.traces = traces;
    }

    public void complete(Exchange exchange) {
        Delivery d = exchange.getProperty(Delivery.PROPERTY, Delivery.class);
        if (d.status() == null) {
            throw new IllegalStateException("job " + d.jobId() + " left the router without a status");
        }
        Instant now = Instant.now();
        DeliveryResult result = d.jobId() == null ? null : resultOf(d, now);
        if (result != null) {
            exchange.setProperty(RESULT, result);
        } else {
            exchange.removeProperty(RESULT);
        }
        exchange.setProperty(DEAD_LETTER, d.status() == Status.INVALID || d.status() == Status.FAILED);
        if (result != null && COMPLETING.contains(d.status())) {
            exchange.setProperty(COMPLETION, new Completion(d.status(), result.messageId(), result.completedAt()));
        } else {
            exchange.removeProperty(COMPLETION);
        }
        metrics.job(d.relay(), d.status());
        logOutcome(d, Duration.between(d.receivedAt(), now).toMillis(), traces.traceId(exchange));
    }

    /**
     * One line per job outcome, its fields also as MDC entries (the "mdc" object of a JSON log line). Never a
     * credential, an address list or a body.
     */
    private static void logOutcome(Delivery d, long durationMs, String traceId) {
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
            LOG.infof("job=%s status=%s endpoint=%s attempts=%d durationMs=%d%s", d.jobId(), d.status(), endpoint,
                    d.sessions(), durationMs, d.error() == null ? "" : " error=" + d.error().code());
        } finally {
            fields.keySet().forEach(MDC::remove);
        }
    }

    /** An unexpected failure while the job was processed: it ends FAILED and goes to the dead-letter topic. */
    public void failInternally(Exchange exchange) {
        Delivery d = exchange.getProperty(Delivery.PROPERTY, Delivery.class);
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        LOG.errorf(cause, "job %s failed inside the router", d.jobId());
        d.failInternally(cause == null ? "unknown" : cause.getClass().getSimpleName() + ": " + cause.getMessage());
    }

    static DeliveryResult resultOf(Delivery d, Instant now) {
        SmtpOutcome o = d.decisive();
        boolean replied = o != null && o.reply() != null;
        Completion original = d.original();
        String messageId = original != null ? original.messageId()
                : d.message() == null || d.status() == Status.INVALID ? null : d.message().messageId();
        return new DeliveryResult(d.jobId(), d.status(), d.relay(), d.lastEndpoint(),
                replied ? o.reply().code() : null, replied ? o.reply().enhancedCode() : null,
                replied ? o.reply().text() : null, messageId,
                d.sessions(), d.possibleDuplicate(),
                List.copyOf(d.accepted()), List.copyOf(d.rejected()), d.error(), d.metadata(),
                d.receivedAt(), original != null ? original.completedAt() : now,
                original != null ? original.status() : null);
    }
}
