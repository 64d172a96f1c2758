package io.submissionrouter.pass;

import io.submissionrouter.config.SessionSettings;
import io.submissionrouter.job.EmailJob;
import io.submissionrouter.job.JobRejection;
import io.submissionrouter.job.ValidJob;
import io.submissionrouter.relay.Endpoint;
import io.submissionrouter.results.AttemptEvent;
import io.submissionrouter.results.EndpointRef;
import io.submissionrouter.results.ErrorInfo;
import io.submissionrouter.results.Status;
import io.submissionrouter.smtp.OutcomeClass;
import io.submissionrouter.smtp.RecipientReply;
import io.submissionrouter.smtp.SmtpOutcome;
import io.submissionrouter.smtp.SmtpReply;
import io.submissionrouter.smtp.SubmissionMessage;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * The state of one job on its way through the router (exchange property {@code JobProperties.PASS}): endpoints
 * tried, where each recipient stands, what each session answered, what comes next, what the pass owes Kafka. The
 * routes branch on {@link #routing()}, {@link #unfinished()} and {@link #toConclude()}: bare booleans Simple takes
 * as they are (a comparison with a text would look up a type converter at every evaluation).
 * <p>
 * Over 300 lines because it is the per-job state machine: every transition (session accepted, refused, failed, a
 * retry, a wait, the end) checks and keeps the same invariants on the recipients, attempts and outcome, in one place.
 */
public final class Pass {

    /** What the route does next with the job. */
    public enum Next {
        /** Ask the group's breakers for an endpoint not yet tried in this pass. */
        ROUTE,
        /** A transient, throttled or uncertain outcome: the job goes to a retry tier, then is routed again. */
        RETRY,
        /** No endpoint of the group admits calls: the job goes to its group's waiting topic. */
        WAIT,
        /** A terminal status is known. */
        DONE
    }

    /** Without its value, and {@link #message} null, once the pass owes nothing ({@link #owesNothing}). */
    private volatile SourceRecord source;
    private final Instant receivedAt;
    private final String jobId;
    private final String relay;
    private final Map<String, String> metadata;
    private volatile SubmissionMessage message;

    private int sessions;
    private int retryableOutcomes;
    private int waits;
    private int failedEverywhere;
    private boolean failedEverywhereThisPass;
    private boolean skippedThisPass;
    private boolean possibleDuplicate;
    private final Set<String> triedThisPass = new HashSet<>();
    private final Set<String> skipsNoted = new HashSet<>();
    private final Recipients recipients;
    private int acceptedBeforePass;
    private List<RecipientReply> failed = List.of();
    private EndpointRef lastEndpoint;
    private SmtpOutcome decisive;
    private final List<AttemptEvent> unpublished = new ArrayList<>();
    private Next next = Next.ROUTE;
    private Status status;
    private ErrorInfo error;
    private CompletedJob original;
    private final PassOutputs outputs = new PassOutputs();
    private boolean concluded;

    private Pass(SourceRecord source, Instant receivedAt, String jobId, String relay, Map<String, String> metadata,
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
    public static Pass of(SourceRecord source, Instant receivedAt, ValidJob job, SubmissionMessage message) {
        return new Pass(source, receivedAt, job.job().jobId(), job.job().relay(), job.job().metadata(), message);
    }

    /** A job coming back from a retry tier or a waiting topic: a new pass that goes on from {@code state}. */
    public static Pass resumed(SourceRecord source, ValidJob job, SubmissionMessage message, DeferredState state) {
        Pass d = new Pass(source, state.receivedAt(), job.job().jobId(), job.job().relay(),
                job.job().metadata(), message);
        d.restore(state);
        return d;
    }

    /**
     * A job read again from a later record (a tier, a waiting topic, its completion) whose input no longer passes a
     * check it passed before (limits lowered, a relay group removed, topics made smaller), going on from {@code from}
     * in which a server accepted it or a session may have delivered it: never {@code INVALID} afterwards (CONTRACT
     * 5.4, 8.1: that would drop the recipients that have it and contradict the completion written, and its dead
     * letter, replayed, would send it again). It ends as far as it got, no session run, its pending recipients failed.
     */
    public static Pass rejectedLate(SourceRecord source, String jobId, String relay, Map<String, String> metadata,
            String messageId, DeferredState from, JobRejection why) {
        // a message without content carries the Message-ID and the pending recipients, as the earlier pass sent them
        SubmissionMessage message = new SubmissionMessage(Session.getInstance(new Properties()), messageId);
        message.envelope((from.pending() == null ? List.<String>of() : from.pending()).stream().map(a -> {
            InternetAddress address = new InternetAddress();
            address.setAddress(a); // not parsed again
            return address;
        }).toList());
        // a relay no longer echoed (neither configured nor a group's name) is reported as a job without one is
        Pass d = new Pass(source, from.receivedAt(), jobId, relay == null ? EmailJob.DEFAULT_RELAY : relay, metadata,
                message);
        d.restore(from);
        d.rejectInput(new JobRejection(why.code(), "the job cannot go on to its other recipients: "
                + why.getMessage()));
        return d;
    }

    private void restore(DeferredState state) {
        sessions = state.attempts();
        retryableOutcomes = state.retryableOutcomes();
        waits = state.waits();
        failedEverywhere = state.failedEverywhere();
        possibleDuplicate = state.possibleDuplicate();
        recipients.restore(state.accepted() == null ? List.of() : state.accepted(),
                state.rejected() == null ? List.of() : state.rejected(),
                state.pendingReplies() == null ? List.of() : state.pendingReplies());
        if (state.pending() != null) {
            recipients.keepPending(state.pending());
            message.envelope(recipients.pending());
        }
        acceptedBeforePass = recipients.accepted().size();
        DeferredState.LastSession last = state.last();
        if (last != null) {
            lastEndpoint = last.endpoint();
            SmtpReply reply = last.smtpCode() == null ? null
                    : new SmtpReply(last.smtpCode(), last.smtpEnhancedCode(), last.smtpReply());
            decisive = new SmtpOutcome(last.outcome(), last.step(), reply, List.of(), List.of(), List.of(), 0,
                    last.detail());
        }
    }

    /** What the job carries to its retry tier or waiting topic. */
    public DeferredState deferredState() {
        DeferredState.LastSession last = decisive == null ? null : new DeferredState.LastSession(lastEndpoint,
                persisted(decisive.outcome()), decisive.step(), code(decisive),
                decisive.reply() == null ? null : decisive.reply().enhancedCode(),
                decisive.reply() == null ? null : decisive.reply().text(), decisive.detail());
        return new DeferredState(receivedAt, sessions, retryableOutcomes, waits, possibleDuplicate,
                recipients.pendingAddresses(), List.copyOf(recipients.accepted()), List.copyOf(recipients.rejected()),
                last, recipients.pendingReplies(), failedEverywhere);
    }

    /**
     * {@code job_timeout} (new in this version) is carried as {@code transient}, the class it is retried as, so that a
     * replica of the version before (a rolling update, a rollback) still reads the job's state instead of dropping it
     * and sending the job again to recipients that accepted it.
     */
    private static OutcomeClass persisted(OutcomeClass o) {
        return o == OutcomeClass.JOB_TIMEOUT ? OutcomeClass.TRANSIENT : o;
    }

    /** A record that failed validation; {@code jobId} is null when none could be read. */
    public static Pass invalid(SourceRecord source, Instant receivedAt, String jobId, String relay,
            Map<String, String> metadata, JobRejection rejection) {
        return ended(source, receivedAt, jobId, relay, metadata, Status.INVALID,
                new ErrorInfo(rejection.code(), rejection.getMessage()));
    }

    /** A job whose jobId was completed within the idempotency window: nothing is sent again. */
    public static Pass duplicate(SourceRecord source, Instant receivedAt, String jobId, String relay,
            Map<String, String> metadata, CompletedJob original) {
        Pass d = ended(source, receivedAt, jobId, relay, metadata, Status.DUPLICATE, null);
        d.original = original;
        return d;
    }

    /** The job's own record read again after the job ended as {@code status}: nothing is sent. */
    public static Pass ended(SourceRecord source, Instant receivedAt, String jobId, String relay,
            Map<String, String> metadata, Status status) {
        return ended(source, receivedAt, jobId, relay, metadata, status, null);
    }

    private static Pass ended(SourceRecord source, Instant receivedAt, String jobId, String relay,
            Map<String, String> metadata, Status status, ErrorInfo error) {
        Pass d = new Pass(source, receivedAt, jobId, relay, metadata, null);
        d.finish(status, error);
        return d;
    }

    /** Applies the outcome of a session with {@code endpoint} and decides what comes next. */
    public void apply(Endpoint endpoint, SmtpOutcome o, int maxAttempts, boolean resendUncertain, Instant now) {
        sessions++;
        lastEndpoint = ref(endpoint);
        skipsNoted.clear();
        unpublished.add(event(endpoint, o, sessions, now));
        if (o.lackedExtension()) {
            // the job cannot go to this server as it is; recipients a server took already keep it completed
            decisive = o;
            failed = recipients.failPending();
            finish(recipients.accepted().isEmpty() ? Status.INVALID : Status.SENT,
                    new ErrorInfo(JobRejection.INVALID_ADDRESS, o.detail()));
            return;
        }
        recipients.apply(o);
        if (o.outcome().endpointFailed()) {
            triedThisPass.add(endpoint.name());
            if (decisive == null || decisive.outcome().endpointFailed()) {
                decisive = o;
            }
            next = Next.ROUTE;
        } else {
            decisive = o;
            if (o.outcome() == OutcomeClass.UNCERTAIN) {
                possibleDuplicate = true;
            }
        }
        if (recipients.pending().isEmpty()) {
            finishDelivered();
        } else if (o.outcome() == OutcomeClass.UNCERTAIN && !resendUncertain) {
            end("UNCERTAIN", UNCERTAIN_WHY);
        } else if (!o.outcome().endpointFailed()) {
            retryable(maxAttempts);
        } else if (!o.accepted().isEmpty()) {
            // a session accepted its first transaction and failed in a later one (CONTRACT 9.2): the job is completed,
            // its completion written first; the rest go through a retry tier, never to the next endpoint in this pass,
            // where a failure before the completion is written would have the next pass send them the message again
            failedEverywhere++;
            next = Next.RETRY;
        }
        if (message != null) {
            message.envelope(recipients.pending());
        }
    }

    private static final String UNCERTAIN_WHY =
            "the connection was lost after the whole message was sent, before the server's reply";

    /**
     * The breaker of {@code endpoint} did not admit the job; true when noted as an attempt event: once per endpoint
     * until a session runs, so a job waiting for a breaker does not flood the attempts topic.
     */
    public boolean skipped(Endpoint endpoint, Instant now) {
        triedThisPass.add(endpoint.name());
        skippedThisPass = true;
        if (skipsNoted.add(endpoint.name())) {
            unpublished.add(event(endpoint, SmtpOutcome.skipped(), sessions, now));
            return true;
        }
        return false;
    }

    /**
     * Every endpoint of the group was tried or skipped in this pass. While one is open or suspended the job waits in
     * its group's waiting topic (CONTRACT 5.3 step 3); when each was tried and failed for this job (the failure may be
     * the job's own), it goes to a retry tier, whose delays grow, instead of being tried every few seconds for
     * max-age. Neither counts toward {@code max-attempts}.
     */
    public void noEndpointAdmits() {
        if (!skippedThisPass && !triedThisPass.isEmpty()) { // each was tried: a session ran and failed
            failedEverywhereThisPass = true;
            failedEverywhere++;
            next = Next.RETRY;
        } else {
            next = Next.WAIT;
            waits++;
        }
    }

    /**
     * Whether the job's time ({@code submission.consumer.job-timeout}) leaves room for a session with an endpoint of
     * {@code spec}: its connect-timeout and read-timeout at least. A session the job's deadline would cut short is not
     * started, so the job's own deadline is never charged to an endpoint (CONTRACT 9.1).
     */
    public boolean hasTimeFor(SessionSettings spec) {
        SubmissionMessage m = message;
        long needed = spec.connectTimeout().plus(spec.readTimeout()).toNanos();
        return m == null || m.deadline() == Long.MAX_VALUE || m.deadline() - System.nanoTime() >= needed;
    }

    /**
     * The job's time ran out in this pass before an endpoint not yet tried could have a session: it goes to a retry
     * tier as when every endpoint failed (toward the tiers and {@code max-age}, not {@code max-attempts}).
     */
    public void outOfTime() {
        failedEverywhereThisPass = true;
        failedEverywhere++;
        next = Next.RETRY;
    }

    /** Retries (after transient, throttled, uncertain outcomes, or every endpoint failing) so far: the tier's. */
    public int deferrals() {
        return retryableOutcomes + failedEverywhere;
    }

    /** Whether this pass tried every endpoint of the group and each failed. */
    public boolean failedEverywhereThisPass() {
        return failedEverywhereThisPass;
    }

    /**
     * The group's rate allows no message within the wait a consumer can afford: the job goes to its group's waiting
     * topic, counted toward {@code max-age} only (not an attempt, nor a wait for an outage).
     */
    public void rateLimited() {
        next = Next.WAIT;
    }

    /**
     * A check found the job cannot be sent (the recipient domains in DNS; the job read again: {@link #rejectedLate}):
     * {@code INVALID}, unless an earlier pass had a server accept it for some recipients or may have delivered it; it
     * then ends as far as it got (CONTRACT 8.1: a completed job is never INVALID).
     */
    public void rejectInput(JobRejection rejection) {
        if (recipients.accepted().isEmpty() && !possibleDuplicate) {
            finish(Status.INVALID, new ErrorInfo(rejection.code(), rejection.getMessage()));
        } else {
            end(rejection.code(), rejection.getMessage());
        }
    }

    /**
     * The job ends as far as it got, for {@code code} ({@code EXPIRED}: it outlived {@code submission.retry.max-age};
     * {@code INTERNAL_ERROR}; {@code TOO_LARGE_TO_RETRY}: it cannot be deferred). Its pending recipients become its
     * failed ones (CONTRACT 8.1). It is {@code SENT} when a server accepted it for some recipients (the job is
     * completed), {@code UNCERTAIN} when a session of it was (the message may have arrived: never {@code FAILED},
     * which a resubmission could send again), else {@code FAILED}.
     */
    public void end(String code, String why) {
        failed = recipients.failPending();
        if (!recipients.accepted().isEmpty()) {
            finish(Status.SENT, new ErrorInfo(code, why));
        } else if (possibleDuplicate) {
            finish(Status.UNCERTAIN, new ErrorInfo("UNCERTAIN", code.equals("UNCERTAIN") ? why
                    : UNCERTAIN_WHY + " in an earlier session; then " + code + ": " + why));
        } else {
            finish(Status.FAILED, new ErrorInfo(code, why));
        }
    }

    /** No recipient is pending: every one was accepted or refused for good. */
    private void finishDelivered() {
        if (!recipients.accepted().isEmpty()) {
            finish(Status.SENT, null);
            return;
        }
        SmtpOutcome o = decisive;
        finish(Status.REJECTED, new ErrorInfo("SMTP_REJECTED", "the server refused the message permanently"
                + (o == null || o.step() == null ? "" : " at " + o.step().wireName()) + ": "
                + (o == null ? "" : o.reply() == null ? o.detail() : o.reply().text())));
    }

    private void retryable(int maxAttempts) {
        retryableOutcomes++;
        if (retryableOutcomes >= maxAttempts) {
            end("RETRIES_EXHAUSTED", retryableOutcomes + " transient, throttled or uncertain outcomes "
                    + "(submission.retry.max-attempts=" + maxAttempts + "); last: "
                    + (decisive.reply() == null ? decisive.detail() : decisive.reply().text()));
        } else {
            next = Next.RETRY;
        }
    }

    private void finish(Status s, ErrorInfo e) {
        status = s;
        error = e;
        next = Next.DONE;
    }

    private AttemptEvent event(Endpoint endpoint, SmtpOutcome o, int attempt, Instant now) {
        return new AttemptEvent(jobId, attempt, relay, ref(endpoint), o.step(), o.outcome(), code(o),
                o.reply() == null ? null : o.reply().enhancedCode(), o.reply() == null ? null : o.reply().text(),
                o.durationMillis(), now);
    }

    private static Integer code(SmtpOutcome o) {
        return o.reply() == null ? null : o.reply().code();
    }

    private static EndpointRef ref(Endpoint e) {
        return new EndpointRef(e.name(), e.spec().host(), e.spec().port());
    }

    /** Attempt events of this pass not yet handed to {@link #outputs()}; the list is emptied. */
    public List<AttemptEvent> drainAttempts() {
        List<AttemptEvent> out = List.copyOf(unpublished);
        unpublished.clear();
        return out;
    }

    public boolean wasTried(String endpointName) {
        return triedThisPass.contains(endpointName);
    }

    /**
     * Whether this pass ends with a server having accepted the job for recipients no completion record holds yet:
     * the job is completed (CONTRACT 8.1) and its completion must be written before anything else.
     */
    public boolean acceptedInThisPass() {
        return recipients.accepted().size() > acceptedBeforePass;
    }

    /** What this pass owes Kafka. */
    public PassOutputs outputs() {
        return outputs;
    }

    /** Marks the pass as concluded (its result, counters and log line are done); false if it already was. */
    public boolean conclude() {
        if (concluded) {
            return false;
        }
        concluded = true;
        return true;
    }

    public Next next() {
        return next;
    }

    /** Whether the job is still to be routed ({@code ${exchangeProperty.pass.routing}}: no coercion in Simple). */
    public boolean routing() {
        return next == Next.ROUTE;
    }

    /** Whether no terminal status is known yet ({@code ${exchangeProperty.pass.unfinished}}). */
    public boolean unfinished() {
        return next != Next.DONE;
    }

    /** Whether the pass is still to be concluded ({@code ${exchangeProperty.pass.toConclude}}). */
    public boolean toConclude() {
        return !concluded;
    }

    /** Everything the pass owed Kafka is acknowledged: it lets go of the job's bytes and message (UnsettledPasses). */
    public void owesNothing() {
        SourceRecord s = source;
        source = new SourceRecord(s.topic(), s.partition(), s.offset(), s.timestamp(), s.key(), null, s.traceparent());
        message = null;
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

    /** Recipients that were neither accepted nor refused for good when the job ended (CONTRACT 8.1). */
    public List<RecipientReply> failed() {
        return failed;
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
    public CompletedJob original() {
        return original;
    }
}
