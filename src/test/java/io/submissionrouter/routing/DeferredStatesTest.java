package io.submissionrouter.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.submissionrouter.pass.DeferredState;
import io.submissionrouter.smtp.RecipientReply;
import jakarta.mail.internet.InternetAddress;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Two records of one job that disagree: a recipient either knows as settled is never pending (CONTRACT 8.1). */
class DeferredStatesTest {

    private static final Instant RECEIVED = Instant.parse("2026-11-27T10:00:00Z");
    private static final RecipientReply BOB_451 = new RecipientReply("bob@example.org", 451, "4.2.0", "later");
    private static final RecipientReply CY_451 = new RecipientReply("cy@example.org", 451, "4.2.0", "later");

    @Test
    void aStaleTierRecordGoesOnFromTheCompletionAndSendsNothingAgainToTheRecipientsItAccepted() {
        // the copy still has every recipient pending; the completion, one session further, has ada accepted
        DeferredState copy = state(1, List.of("ada@example.org", "bob@example.org", "cy@example.org"), List.of(),
                List.of(), false);
        DeferredState completion = state(2, List.of("bob@example.org", "cy@example.org"), List.of("ADA@example.org"),
                List.of(), false);

        DeferredState merged = DeferredStates.merge(copy, completion);

        assertThat(merged.pending()).containsExactly("bob@example.org", "cy@example.org");
        assertThat(merged.accepted()).containsExactly("ADA@example.org");
        assertThat(merged.attempts()).isEqualTo(2);
        assertThat(merged.retryableOutcomes()).isEqualTo(2);
        assertThat(merged.pendingReplies()).extracting(RecipientReply::address)
                .containsExactly("bob@example.org", "cy@example.org");
    }

    @Test
    void recipientsSettledInEitherStandWhicheverIsFurtherAlong() {
        // the record went further (three sessions) and had cy refused; the completion knows ada accepted
        DeferredState record = state(3, List.of("ada@example.org", "bob@example.org"), List.of(),
                List.of(new RecipientReply("cy@example.org", 550, "5.1.1", "unknown")), true);
        DeferredState completion = state(2, List.of("bob@example.org", "cy@example.org"), List.of("ada@example.org"),
                List.of(), false);

        DeferredState merged = DeferredStates.merge(record, completion);

        assertThat(merged.pending()).containsExactly("bob@example.org");
        assertThat(merged.accepted()).containsExactly("ada@example.org");
        assertThat(merged.rejected()).extracting(RecipientReply::address).containsExactly("cy@example.org");
        assertThat(merged.attempts()).isEqualTo(3);
        assertThat(merged.possibleDuplicate()).isTrue();
    }

    @Test
    void aRecordWithoutStateGoesOnFromTheCompletion() {
        DeferredState completion = state(2, List.of("bob@example.org"), List.of("ada@example.org"), List.of(), false);
        assertThat(DeferredStates.merge(null, completion)).isSameAs(completion);
    }

    @Test
    void aStateOfAnOlderVersionWithoutPendingRecipientsLeavesOutThoseItAccepted() {
        DeferredState old = new DeferredState(RECEIVED, 1, 1, 0, false, null, List.of("ada@example.org"), List.of(),
                null, null, 0);
        DeferredState named = DeferredStates.withPending(old, List.of(address("ada@example.org"),
                address("bob@example.org")));
        assertThat(named.pending()).containsExactly("bob@example.org");
    }

    private static DeferredState state(int attempts, List<String> pending, List<String> accepted,
            List<RecipientReply> rejected, boolean possibleDuplicate) {
        List<RecipientReply> replies = pending.stream().map(a -> a.startsWith("bob") ? BOB_451
                : a.startsWith("cy") ? CY_451 : new RecipientReply(a, null, null, null)).toList();
        return new DeferredState(RECEIVED, attempts, attempts, 0, possibleDuplicate, pending, accepted, rejected, null,
                replies, 0);
    }

    private static InternetAddress address(String a) {
        InternetAddress address = new InternetAddress();
        address.setAddress(a);
        return address;
    }
}
