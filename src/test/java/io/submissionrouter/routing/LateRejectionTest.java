package io.submissionrouter.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.submissionrouter.job.EmailJob;
import io.submissionrouter.job.JobRejection;
import io.submissionrouter.job.ValidJob;
import io.submissionrouter.pass.DeferredState;
import io.submissionrouter.pass.Pass;
import io.submissionrouter.pass.SourceRecord;
import io.submissionrouter.results.Status;
import io.submissionrouter.smtp.RecipientReply;
import io.submissionrouter.smtp.SubmissionMessage;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * A job read again that no longer passes a check it passed when an earlier pass ran (CONTRACT 5.4, 8.1): completed
 * or possibly delivered, it ends as far as it got, never INVALID; a job no session reached is INVALID as before.
 */
class LateRejectionTest {

    private static final Instant NOW = Instant.parse("2026-11-27T10:00:00Z");
    private static final SourceRecord SOURCE = new SourceRecord("email.jobs", 0, 7, NOW, null, new byte[0], null);
    private static final RecipientReply BOB_451 = new RecipientReply("bob@example.org", 451, "4.2.0", "later");
    private static final JobRejection LOWERED = new JobRejection(JobRejection.TOO_LARGE,
            "metadata takes 70000 bytes as JSON, more than submission.limits.max-metadata-bytes (65536)");

    @Test
    void aJobAServerAcceptedForSomeRecipientsEndsSentWithTheOthersFailedAndWhy() {
        DeferredState from = state(List.of("ada@example.org"), false);
        assertThat(JobIntake.pastInvalid(from)).isTrue();

        Pass d = Pass.rejectedLate(SOURCE, "j-1", "default", Map.of(), "<id@router.test>", from, LOWERED);

        assertThat(d.status()).isEqualTo(Status.SENT);
        assertThat(d.accepted()).containsExactly("ada@example.org");
        assertThat(d.failed()).containsExactly(BOB_451);
        assertThat(d.error().code()).isEqualTo(JobRejection.TOO_LARGE);
        assertThat(d.error().message()).contains("cannot go on to its other recipients").contains("max-metadata-bytes");
        assertThat(d.message().messageId()).isEqualTo("<id@router.test>");
        assertThat(d.sessions()).isEqualTo(2);
    }

    @Test
    void aJobASessionMayHaveDeliveredEndsUncertain() {
        DeferredState from = state(List.of(), true);
        assertThat(JobIntake.pastInvalid(from)).isTrue();
        Pass d = Pass.rejectedLate(SOURCE, "j-1", "default", Map.of(), "<id@router.test>", from, LOWERED);
        assertThat(d.status()).isEqualTo(Status.UNCERTAIN);
        assertThat(d.failed()).containsExactly(BOB_451);
    }

    @Test
    void aJobNoServerTookIsStillInvalid() {
        assertThat(JobIntake.pastInvalid(state(List.of(), false))).isFalse();
        assertThat(JobIntake.pastInvalid(null)).isFalse();
    }

    /** The recipient domains are checked in DNS on a job that goes on from its completion (CONTRACT 6). */
    @Test
    void aDomainWithoutMailEndsAJobGoingOnFromItsCompletionSentNotInvalid() {
        Pass d = Pass.resumed(SOURCE, job(), message(), state(List.of("ada@example.org"), false));
        d.rejectInput(new JobRejection(JobRejection.NO_MX, "recipient bob@example.org: the domain has no MX"));
        assertThat(d.status()).isEqualTo(Status.SENT);
        assertThat(d.accepted()).containsExactly("ada@example.org");
        assertThat(d.failed()).containsExactly(BOB_451);
        assertThat(d.error().code()).isEqualTo(JobRejection.NO_MX);

        Pass fresh = Pass.resumed(SOURCE, job(), message(), state(List.of(), false));
        fresh.rejectInput(new JobRejection(JobRejection.NO_MX, "recipient bob@example.org: the domain has no MX"));
        assertThat(fresh.status()).as("no server took it").isEqualTo(Status.INVALID);
    }

    /** A relay group removed since, whose name is not echoed (longer than a relay name may be): reported "default". */
    @Test
    void aLateRejectionOfARelayNoLongerEchoedEndsUnderTheDefaultGroup() {
        Pass d = Pass.rejectedLate(SOURCE, "j-1", null, Map.of(), "<id@router.test>",
                state(List.of("ada@example.org"), false), new JobRejection(JobRejection.UNKNOWN_RELAY, "not configured"));
        assertThat(d.status()).isEqualTo(Status.SENT);
        assertThat(d.relay()).isEqualTo(EmailJob.DEFAULT_RELAY);
    }

    private static ValidJob job() {
        EmailJob job = new EmailJob("j-1", "a@shop.example", null, List.of("ada@example.org", "bob@example.org"), null,
                null, "s", "t", null, null, null, null, Map.of());
        return new ValidJob(job, address("a@shop.example"), null, List.of(address("ada@example.org"),
                address("bob@example.org")), List.of(), List.of());
    }

    private static SubmissionMessage message() {
        SubmissionMessage message = new SubmissionMessage(Session.getInstance(new Properties()), "<id@router.test>");
        message.envelope(job().recipients());
        return message;
    }

    private static InternetAddress address(String a) {
        InternetAddress address = new InternetAddress();
        address.setAddress(a);
        return address;
    }

    private static DeferredState state(List<String> accepted, boolean possibleDuplicate) {
        return new DeferredState(NOW, 2, 2, 0, possibleDuplicate, List.of("bob@example.org"), accepted, List.of(),
                null, List.of(BOB_451), 0);
    }
}
