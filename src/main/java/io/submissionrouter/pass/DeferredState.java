package io.submissionrouter.pass;

import io.submissionrouter.results.EndpointRef;
import io.submissionrouter.results.RecordTexts;
import io.submissionrouter.smtp.OutcomeClass;
import io.submissionrouter.smtp.RecipientReply;
import io.submissionrouter.smtp.SmtpReply;
import io.submissionrouter.smtp.SmtpStep;
import java.time.Instant;
import java.util.List;

/**
 * What a job carries through the retry tiers and the waiting topics (as the {@code router.state} header
 * of its record), so a later pass, on any replica, goes on where the last one stopped: the counters that
 * {@code max-attempts} and the result need, the recipients still pending and those already answered, and
 * the last session's answer.
 *
 * @param attempts          SMTP sessions tried so far (the result's {@code attempts})
 * @param retryableOutcomes transient, throttled and uncertain outcomes so far (counted by {@code max-attempts})
 * @param waits             times the job went to its group's waiting topic
 * @param pending           recipients still to be sent to; null means every recipient of the job
 * @param pendingReplies    the last answer each pending recipient got (null in records of older versions)
 * @param failedEverywhere  passes in which every endpoint of the group was tried and failed for this job
 */
public record DeferredState(
        Instant receivedAt,
        int attempts,
        int retryableOutcomes,
        int waits,
        boolean possibleDuplicate,
        List<String> pending,
        List<String> accepted,
        List<RecipientReply> rejected,
        LastSession last,
        List<RecipientReply> pendingReplies,
        int failedEverywhere) {

    /**
     * This state, or (a state written by hand or by a broken writer) a copy with {@code receivedAt} when it lacks one
     * and without a last session that lacks its outcome or step: a pass that failed on them after a server took the
     * job would send it again.
     */
    public DeferredState completed(Instant receivedAtIfMissing) {
        boolean lastWhole = last == null || last.outcome() != null && last.step() != null;
        if (receivedAt != null && lastWhole) {
            return this;
        }
        return new DeferredState(receivedAt == null ? receivedAtIfMissing : receivedAt, attempts, retryableOutcomes,
                waits, possibleDuplicate, pending, accepted, rejected, lastWhole ? last : null, pendingReplies,
                failedEverywhere);
    }

    /**
     * The session that decided the job's last pass, as the result reports it if the job ends without another. Its
     * reply and detail are cut to their bounds ({@link SmtpReply#MAX_TEXT_CHARS},
     * {@link RecordTexts#MAX_DETAIL_CHARS}), so the state a tier record carries has an upper bound.
     */
    public record LastSession(EndpointRef endpoint, OutcomeClass outcome, SmtpStep step, Integer smtpCode,
            String smtpEnhancedCode, String smtpReply, String detail) {

        /** A session's answer; reply and detail cut. */
        public LastSession {
            smtpReply = RecordTexts.cut(smtpReply, SmtpReply.MAX_TEXT_CHARS);
            detail = RecordTexts.cut(detail, RecordTexts.MAX_DETAIL_CHARS);
        }
    }
}
