package io.submissionrouter.routing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.submissionrouter.config.SessionSettings;
import io.submissionrouter.config.TlsMode;
import io.submissionrouter.job.EmailJob;
import io.submissionrouter.job.JobRejection;
import io.submissionrouter.job.ValidJob;
import io.submissionrouter.pass.DeferredState;
import io.submissionrouter.pass.Pass;
import io.submissionrouter.pass.PassConcluder;
import io.submissionrouter.pass.SourceRecord;
import io.submissionrouter.relay.Breaker;
import io.submissionrouter.relay.Endpoint;
import io.submissionrouter.results.Status;
import io.submissionrouter.retry.DeferredRecords;
import io.submissionrouter.smtp.OutcomeClass;
import io.submissionrouter.smtp.RecipientReply;
import io.submissionrouter.smtp.SmtpOutcome;
import io.submissionrouter.smtp.SmtpReply;
import io.submissionrouter.smtp.SmtpStep;
import io.submissionrouter.smtp.SubmissionMessage;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

/**
 * A state written by hand or by a broken writer (a tier record's {@code router.state}, a completion's state) that
 * binds but is not whole: a pass must never fail on it after a server took the job, since the job would then be sent
 * again and again without a result (CONTRACT 8.1). Found by a review: each case threw in the conclusion before.
 */
class BrokenStatesTest {

    private static final ObjectMapper JSON = new ObjectMapper().findAndRegisterModules();
    private static final Instant NOW = Instant.parse("2026-11-27T10:00:00Z");
    private static final long RECORD_TIME = 1_700_000_000_000L;
    private static final SourceRecord SOURCE = new SourceRecord("email.jobs", 0, 7, NOW, null, new byte[0], null);
    private static final Endpoint PRIMARY = new Endpoint(new SessionSettings("default", "primary", "smtp.example.net",
            587, TlsMode.STARTTLS, Optional::empty, List.of(), null, true, Duration.ofSeconds(1),
            Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1), Optional.empty()), null,
            new Breaker("primary", 4, 0.5, Duration.ofSeconds(1), 1));

    @Test
    void nullRecipientsInAStateNeverFailTheResultOfAJobAServerTook() {
        for (String list : new String[] {"accepted", "rejected"}) {
            Pass d = acceptedAfter(tierState("{\"receivedAt\":\"2026-11-27T09:00:00Z\",\"attempts\":1,"
                    + "\"pending\":[\"ada@example.org\"],\"" + list + "\":[null]}"), "ada@example.org");
            assertThat(d.status()).as(list).isEqualTo(Status.SENT);
            assertThat(PassConcluder.resultOf(d, NOW).acceptedRecipients()).as(list).containsExactly("ada@example.org");
        }
    }

    @Test
    void aNullAcceptedRecipientNeverFailsTheStateCarriedOnWhenOthersWait() {
        DeferredState s = tierState("{\"receivedAt\":\"2026-11-27T09:00:00Z\",\"attempts\":1,"
                + "\"pending\":[\"ada@example.org\",\"bob@example.org\"],\"accepted\":[null]}");
        ValidJob job = job("ada@example.org", "bob@example.org");
        Pass d = Pass.resumed(SOURCE, job, message(job), s);
        d.apply(PRIMARY, new SmtpOutcome(OutcomeClass.TRANSIENT, SmtpStep.RCPT, SmtpReply.parse("451 4.2.0 later"),
                List.of("ada@example.org"), List.of(),
                List.of(new RecipientReply("bob@example.org", 451, "4.2.0", "later")), 5, null), 3, true, NOW);
        assertThat(d.acceptedInThisPass()).isTrue();
        assertThat(d.deferredState().accepted()).containsExactly("ada@example.org");
    }

    @Test
    void aReceivedAtMissingOrFarOutOfRangeIsTheRecordsTime() {
        for (String at : new String[] {"", "\"receivedAt\":\"+300000000-01-01T00:00:00Z\","}) {
            Pass d = acceptedAfter(tierState("{" + at + "\"attempts\":1,\"pending\":[\"ada@example.org\"]}"),
                    "ada@example.org");
            assertThat(d.receivedAt()).isEqualTo(Instant.ofEpochMilli(RECORD_TIME));
            assertThat(Duration.between(d.receivedAt(), NOW).toMillis()).isPositive();
        }
    }

    /** The completion's state (read by CompletedJobs) is made whole too before it is merged (AlreadyCompleted). */
    @Test
    void aCompletionsStateIsMadeWholeBeforeTheJobGoesOnFromIt() throws Exception {
        DeferredState known = JSON.readValue("{\"attempts\":1,\"pending\":[\"ada@example.org\",\"bob@example.org\"],"
                + "\"accepted\":[\"bob@example.org\"],\"last\":{\"smtpCode\":451}}", DeferredState.class)
                .whole(NOW);
        DeferredState from = DeferredStates.merge(null, known);
        assertThat(from.receivedAt()).isEqualTo(NOW);
        assertThat(from.last()).as("a last session without its outcome").isNull();
        assertThat(from.pending()).as("accepted, so not pending").containsExactly("ada@example.org");
        Pass d = acceptedAfter(from, "ada@example.org", "bob@example.org");
        assertThat(PassConcluder.resultOf(d, NOW).acceptedRecipients()).containsExactlyInAnyOrder("ada@example.org",
                "bob@example.org");
    }

    @Test
    void aNullPendingReplyNeverFailsTheResumedOrTheLateRejectedPass() {
        DeferredState s = tierState("{\"receivedAt\":\"2026-11-27T09:00:00Z\",\"attempts\":1,"
                + "\"pending\":[\"ada@example.org\",null],\"accepted\":[\"bob@example.org\"],\"pendingReplies\":[null,"
                + "{\"smtpCode\":451}]}");
        ValidJob job = job("ada@example.org", "bob@example.org");
        assertThat(Pass.resumed(SOURCE, job, message(job), s).jobId()).isEqualTo("j-1");
        Pass late = Pass.rejectedLate(SOURCE, "j-1", "default", Map.of(), "<id@x>", s,
                new JobRejection(JobRejection.INVALID_FIELD, "x"));
        assertThat(late.status()).isEqualTo(Status.SENT);
        assertThat(late.accepted()).containsExactly("bob@example.org");
    }

    /** The state as DeferredRecords.read gives it: the tier record without source headers, its time the stand-in. */
    private static DeferredState tierState(String json) {
        RecordHeaders h = new RecordHeaders();
        h.add("router.state", json.getBytes(StandardCharsets.UTF_8));
        return new DeferredRecords(JSON).read(new ConsumerRecord<>("email.jobs.retry-30s", 0, 41, RECORD_TIME,
                TimestampType.CREATE_TIME, 3, 5, "k".getBytes(StandardCharsets.UTF_8),
                "{}".getBytes(StandardCharsets.UTF_8), h, Optional.empty())).state();
    }

    /** Resumed as JobIntake does, then a session in which the server takes ada (a 2xx reply to the final dot). */
    private static Pass acceptedAfter(DeferredState state, String... recipients) {
        ValidJob job = job(recipients);
        Pass d = Pass.resumed(SOURCE, job, message(job), DeferredStates.withPending(state, job.recipients()));
        d.apply(PRIMARY, new SmtpOutcome(OutcomeClass.SENT, SmtpStep.DATA, SmtpReply.parse("250 2.0.0 ok"),
                List.of("ada@example.org"), List.of(), List.of(), 5, null), 3, true, NOW);
        return d;
    }

    private static ValidJob job(String... recipients) {
        List<InternetAddress> to = Arrays.stream(recipients).map(BrokenStatesTest::address).toList();
        EmailJob job = new EmailJob("j-1", "a@shop.example", null, List.of(recipients), null, null, "s", "t", null,
                null, null, null, Map.of());
        return new ValidJob(job, address("a@shop.example"), null, to, List.of(), List.of());
    }

    private static SubmissionMessage message(ValidJob job) {
        SubmissionMessage message = new SubmissionMessage(Session.getInstance(new Properties()), "<id@x>");
        message.envelope(job.recipients());
        return message;
    }

    private static InternetAddress address(String a) {
        InternetAddress address = new InternetAddress();
        address.setAddress(a);
        return address;
    }
}
