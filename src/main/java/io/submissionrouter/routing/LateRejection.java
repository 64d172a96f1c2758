package io.submissionrouter.routing;

import io.submissionrouter.job.EmailJob;
import io.submissionrouter.job.JobRejection;
import io.submissionrouter.job.ValidJob;
import io.submissionrouter.pass.DeferredState;
import io.submissionrouter.pass.Pass;
import io.submissionrouter.pass.SourceRecord;
import io.submissionrouter.smtp.SubmissionMessage;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * A job read again from a later record (a retry tier, a waiting topic, its completion) whose input no longer passes a
 * check it passed before: the limits were lowered, a relay group removed or the topics made smaller between its
 * passes. Once a server accepted it for some recipients it is completed (CONTRACT 5.4, 8.1), and once a session of
 * it was uncertain it may have arrived; either way it is never {@code INVALID} afterwards: that result would drop
 * the recipients that have it and contradict the completion already written, and its dead letter, replayed, would
 * send it again. It ends as far as it got instead, as a job that cannot be deferred does: {@code SENT} (or
 * {@code UNCERTAIN}), its pending recipients failed, the check's code and reason as its error.
 */
final class LateRejection {

    private LateRejection() {
    }

    /** Whether a job that goes on from {@code from} (null: a new job) is past being {@code INVALID}. */
    static boolean applies(DeferredState from) {
        return from != null && (from.accepted() != null && !from.accepted().isEmpty() || from.possibleDuplicate());
    }

    /**
     * The job ended as far as {@code from} got, for {@code why}.
     *
     * @param relay    the relay its results echo
     * @param metadata the metadata its results echo (none when it is over the bound)
     */
    static Pass end(SourceRecord source, String jobId, String relay, Map<String, String> metadata,
            String messageId, DeferredState from, JobRejection why) {
        // A pass takes its jobId, relay and metadata from a validated job; this one no longer validates and no session
        // runs, so a job of those fields alone stands in for it, and a message without content carries the
        // Message-ID and the recipients still pending (its result lists them as failed).
        EmailJob echoed = new EmailJob(jobId, null, null, null, null, null, null, null, null, null, null, relay,
                metadata);
        SubmissionMessage message = new SubmissionMessage(Session.getInstance(new Properties()), messageId);
        message.envelope(addresses(from.pending() == null ? List.of() : from.pending()));
        Pass d = Pass.resumed(source, new ValidJob(echoed, null, null, List.of(), List.of(), List.of()),
                message, from);
        d.rejectInput(new JobRejection(why.code(), "the job cannot go on to its other recipients: "
                + why.getMessage()));
        return d;
    }

    private static List<InternetAddress> addresses(List<String> pending) {
        return pending.stream().map(a -> {
            InternetAddress address = new InternetAddress();
            address.setAddress(a); // as the earlier pass sent it: not parsed again
            return address;
        }).toList();
    }
}
