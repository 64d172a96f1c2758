package io.submissionrouter.routing;

import io.submissionrouter.idempotency.Completion;
import io.submissionrouter.job.JobRejection;
import io.submissionrouter.job.ValidJob;
import io.submissionrouter.results.AttemptEvent;
import io.submissionrouter.results.EndpointRef;
import io.submissionrouter.results.ErrorInfo;
import io.submissionrouter.results.Status;
import io.submissionrouter.smtp.RecipientReply;
import io.submissionrouter.smtp.SmtpOutcome;
import io.submissionrouter.smtp.SmtpReply;
import io.submissionrouter.smtp.SubmissionMessage;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The state of one job on its way through the router: which endpoints this pass has tried, which
 * recipients are still pending, what each session answered, and what comes next. Lives in the
 * exchange property {@value #PROPERTY}; the routes branch on {@link #next()}.
 */
public final class Delivery {

    public static final String PROPERTY = "delivery";

    /** What the route does next with the job. */
    public enum Next {
        /** Ask the group's breakers for an endpoint not yet tried in this pass. */
        ROUTE,
        /** A transient, throttled or uncertain outcome: the job goes to a retry tier, then is routed again. */
        RETRY,
        /** No endpoint of the group admits calls: the job goes to its group's waiting topic. */
        WAIT,
        /** A terminal status is known. */
        DONE;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final SourceRecord source;
    private final Instant receivedAt;
    private final String jobId;
    private final String relay;
    private final Map<String, String> metadata;
    private final SubmissionMessage message;

    private int sessions;
    private int retryableOutcomes;
    private int waits;
    private boolean possibleDuplicate;
    private final Set<String> triedThisPass = new HashSet<>();
    private final Set<String> skipsNoted = new HashSet<>();
    private final Recipients recipients;
    private EndpointRef lastEndpoint;
    private SmtpOutcome decisive;
    private final List<AttemptEvent> unpublished = new ArrayList<>();
    private Next next = Next.ROUTE;
    private Status status;
    private ErrorInfo error;
    private Completion original;

    private Delivery(SourceRecord source, Instant receivedAt, String jobId, String relay, Map<String, String> metadata,
            SubmissionMessage message) {
        this.source = source;
        this.receivedAt = receivedAt;
        this.jobId = jobId;
        this.relay = relay;
        this.metadata = metadata == null ? Map.of() : metadata;
        this.message = message;
        this.recipients = new Recipients(message == null ? List.of() : message.envelope());
    }

    /** A job ready to be submitted. */
    public static Delivery of(SourceRecord source, Instant receivedAt, ValidJob job, SubmissionMessage message) {
        return new Delivery(source, receivedAt, job.job().jobId(), job.job().relay(), job.job().metadata(), message);
    }

    /** A job coming back from a retry tier or a waiting topic: a new pass that goes on from {@code state}. */
    public static Delivery resumed(SourceRecord source, ValidJob job, SubmissionMessage message, DeferredState state) {
        Delivery d = new Delivery(source, state.receivedAt(), job.job().jobId(), job.job().relay(),
                job.job().metadata(), message);
        d.sessions = state.attempts();
        d.retryableOutcomes = state.retryableOutcomes();
        d.waits = state.waits();
        d.possibleDuplicate = state.possibleDuplicate();
        d.recipients.accept(state.accepted() == null ? List.of() : state.accepted());
        d.recipients.reject(state.rejected() == null ? List.of() : state.rejected());
        if (state.pending() != null) {
            d.recipients.keepPending(state.pending());
            message.envelope(d.recipients.pending());
        }
        DeferredState.LastSession last = state.last();
        if (last != null) {
            d.lastEndpoint = last.endpoint();
            SmtpReply reply = last.smtpCode() == null ? null
                    : new SmtpReply(last.smtpCode(), last.smtpEnhancedCode(), last.smtpReply());
            d.decisive = new SmtpOutcome(last.outcome(), last.step(), reply, List.of(), List.of(), List.of(), 0,
                    last.detail());
        }
        return d;
    }

    /** What the job carries to its retry tier or waiting topic. */
    public DeferredState deferredState() {
        DeferredState.LastSession last = decisive == null ? null : new DeferredState.LastSession(lastEndpoint,
                decisive.outcome(), decisive.step(), code(decisive),
                decisive.reply() == null ? null : decisive.reply().enhancedCode(),
                decisive.reply() == null ? null : decisive.reply().text(), decisive.detail());
        return new DeferredState(receivedAt, sessions, retryableOutcomes, waits, possibleDuplicate,
                recipients.pendingAddresses(), List.copyOf(recipients.accepted()), List.copyOf(recipients.rejected()),
                last);
    }

    /** A record that failed validation; {@code jobId} is null when none could be read. */
    public static Delivery invalid(SourceRecord source, Instant receivedAt, String jobId, String relay,
            Map<String, String> metadata, JobRejection rejection) {
        Delivery d = new Delivery(source, receivedAt, jobId, relay, metadata, null);
        d.finish(Status.INVALID, new ErrorInfo(rejection.code(), rejection.getMessage()));
        return d;
    }

    /** A job whose jobId was completed within the idempotency window: nothing is sent again. */
    public static Delivery duplicate(SourceRecord source, Instant receivedAt, String jobId, String relay,
            Map<String, String> metadata, Completion original) {
        Delivery d = new Delivery(source, receivedAt, jobId, relay, metadata, null);
        d.original = original;
        d.finish(Status.DUPLICATE, null);
        return d;
    }

    /** Applies the outcome of a session with {@code endpoint} and decides what comes next. */
    public void apply(SubmissionEndpoint endpoint, SmtpOutcome o, int maxAttempts, boolean resendUncertain, Instant now) {
        sessions++;
        lastEndpoint = ref(endpoint);
        skipsNoted.clear();
        unpublished.add(event(endpoint, o, sessions, now));
        switch (o.outcome()) {
            case ENDPOINT_DOWN, CONFIG_ERROR -> {
                triedThisPass.add(endpoint.name());
                if (decisive == null || decisive.outcome().endpointFailed()) {
                    decisive = o;
                }
                next = Next.ROUTE;
            }
            case SENT -> {
                decisive = o;
                recipients.accept(o.accepted());
                recipients.reject(o.rejected());
                recipients.keepDeferred(o.deferred());
                if (recipients.pending().isEmpty()) {
                    finish(Status.SENT, null);
                } else {
                    retryable(maxAttempts);
                }
            }
            case REJECTED -> {
                decisive = o;
                if (o.lackedExtension()) {
                    finish(Status.INVALID, new ErrorInfo(JobRejection.INVALID_ADDRESS, o.detail()));
                    break;
                }
                recipients.rejectAllPending(o);
                boolean noneAccepted = recipients.accepted().isEmpty();
                finish(noneAccepted ? Status.REJECTED : Status.SENT, noneAccepted
                        ? new ErrorInfo("SMTP_REJECTED", "the server refused the message permanently at "
                                + o.step().wireName() + ": " + (o.reply() == null ? o.detail() : o.reply().text()))
                        : null);
            }
            case TRANSIENT, THROTTLED -> {
                decisive = o;
                recipients.reject(o.rejected());
                if (!o.deferred().isEmpty()) {
                    recipients.keepDeferred(o.deferred());
                }
                retryable(maxAttempts);
            }
            case UNCERTAIN -> {
                decisive = o;
                if (resendUncertain) {
                    possibleDuplicate = true;
                    next = Next.RETRY;
                } else {
                    finish(Status.UNCERTAIN, new ErrorInfo("UNCERTAIN",
                            "the connection was lost after the whole message was sent, before the server's reply"));
                }
            }
            default -> throw new IllegalArgumentException("not a session outcome: " + o.outcome());
        }
        if (message != null) {
            message.envelope(recipients.pending());
        }
    }

    /**
     * Records that the breaker of {@code endpoint} did not admit the job. An attempt event is written once
     * per endpoint until a session runs, so a job waiting for a breaker does not flood the attempts topic.
     *
     * @return true when this skip was noted as an attempt event
     */
    public boolean skipped(SubmissionEndpoint endpoint, Instant now) {
        triedThisPass.add(endpoint.name());
        if (skipsNoted.add(endpoint.name())) {
            unpublished.add(event(endpoint, SmtpOutcome.skipped(), sessions, now));
            return true;
        }
        return false;
    }

    /** Every endpoint of the group was tried or skipped in this pass. */
    public void noEndpointAdmits() {
        next = Next.WAIT;
        waits++;
    }

    /**
     * The group's rate allows no message within the wait a consumer can afford: the job goes to its group's
     * waiting topic, and comes back at the group's pace. Not an attempt, nor a wait for an outage: it counts
     * toward neither {@code max-attempts} nor the waits, only toward {@code max-age}.
     */
    public void rateLimited() {
        next = Next.WAIT;
    }

    /** A check after validation (the recipient domains in DNS) found the job cannot be sent: {@code INVALID}. */
    public void rejectInput(JobRejection rejection) {
        finish(Status.INVALID, new ErrorInfo(rejection.code(), rejection.getMessage()));
    }

    /** The job outlived {@code submission.retry.max-age}. */
    public void expire(String why) {
        finish(Status.FAILED, new ErrorInfo("EXPIRED", why));
    }

    /** An unexpected failure inside the router: the job goes to the dead-letter topic as FAILED. */
    public void failInternally(String why) {
        finish(Status.FAILED, new ErrorInfo("INTERNAL_ERROR", why));
    }

    private void retryable(int maxAttempts) {
        retryableOutcomes++;
        if (retryableOutcomes >= maxAttempts) {
            finish(Status.FAILED, new ErrorInfo("RETRIES_EXHAUSTED", retryableOutcomes
                    + " transient or throttled outcomes (submission.retry.max-attempts=" + maxAttempts + "); last: "
                    + (decisive.reply() == null ? decisive.detail() : decisive.reply().text())));
        } else {
            next = Next.RETRY;
        }
    }

    private void finish(Status s, ErrorInfo e) {
        status = s;
        error = e;
        next = Next.DONE;
    }

    private AttemptEvent event(SubmissionEndpoint endpoint, SmtpOutcome o, int attempt, Instant now) {
        return new AttemptEvent(jobId, attempt, relay, ref(endpoint), o.step(), o.outcome(), code(o),
                o.reply() == null ? null : o.reply().enhancedCode(), o.reply() == null ? null : o.reply().text(),
                o.durationMillis(), now);
    }

    private static Integer code(SmtpOutcome o) {
        return o.reply() == null ? null : o.reply().code();
    }

    private static EndpointRef ref(SubmissionEndpoint e) {
        return new EndpointRef(e.name(), e.spec().host(), e.spec().port());
    }

    /** Attempt events not yet published; the caller publishes and the list is emptied. */
    public List<AttemptEvent> drainAttempts() {
        List<AttemptEvent> out = List.copyOf(unpublished);
        unpublished.clear();
        return out;
    }

    public boolean wasTried(String endpointName) {
        return triedThisPass.contains(endpointName);
    }

    public Next next() {
        return next;
    }

    public SourceRecord source() {
        return source;
    }

    public Instant receivedAt() {
        return receivedAt;
    }

    public String jobId() {
        return jobId;
    }

    public String relay() {
        return relay;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public SubmissionMessage message() {
        return message;
    }

    public int sessions() {
        return sessions;
    }

    public int retryableOutcomes() {
        return retryableOutcomes;
    }

    public int waits() {
        return waits;
    }

    public boolean possibleDuplicate() {
        return possibleDuplicate;
    }

    public List<String> accepted() {
        return recipients.accepted();
    }

    public List<RecipientReply> rejected() {
        return recipients.rejected();
    }

    public EndpointRef lastEndpoint() {
        return lastEndpoint;
    }

    public SmtpOutcome decisive() {
        return decisive;
    }

    public Status status() {
        return status;
    }

    public ErrorInfo error() {
        return error;
    }

    /** For a {@code DUPLICATE}: the completion of the first job with this jobId. */
    public Completion original() {
        return original;
    }
}
