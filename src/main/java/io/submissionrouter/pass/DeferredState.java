package io.submissionrouter.pass;

import io.submissionrouter.results.EndpointRef;
import io.submissionrouter.results.RecordTexts;
import io.submissionrouter.smtp.OutcomeClass;
import io.submissionrouter.smtp.RecipientReply;
import io.submissionrouter.smtp.SmtpReply;
import io.submissionrouter.smtp.SmtpStep;
import io.submissionrouter.job.ValidJob;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

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

    private static final Duration CENTURY = Duration.ofDays(36_525);

    /**
     * This state, or (a state written by hand or by a broken writer) a whole copy: a {@code receivedAt} that is
     * missing or more than a century from {@code standIn} replaced by it, null recipients and replies without an
     * address left out, a recipient listed as accepted no longer pending, a last session without its outcome or step
     * left out. A pass never fails on a state after a server took the job: it would send the job again and again.
     */
    public DeferredState whole(Instant standIn) {
        Instant at = receivedAt == null || Duration.between(standIn, receivedAt).abs().compareTo(CENTURY) > 0
                ? standIn : receivedAt;
        List<String> acceptedWhole = accepted == null ? null : accepted.stream().filter(Objects::nonNull).toList();
        Set<String> taken = acceptedWhole == null ? Set.of()
                : acceptedWhole.stream().map(ValidJob::mailbox).collect(Collectors.toSet());
        List<String> pendingWhole = pending == null ? null : pending.stream()
                .filter(a -> a != null && !taken.contains(ValidJob.mailbox(a))).toList();
        LastSession lastWhole = last == null || last.outcome() == null || last.step() == null ? null : last;
        DeferredState whole = new DeferredState(at, attempts, retryableOutcomes, waits, possibleDuplicate, pendingWhole,
                acceptedWhole, addressed(rejected), lastWhole, addressed(pendingReplies), failedEverywhere);
        return whole.equals(this) ? this : whole;
    }

    private static List<RecipientReply> addressed(List<RecipientReply> replies) {
        return replies == null ? null : replies.stream().filter(r -> r != null && r.address() != null).toList();
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
