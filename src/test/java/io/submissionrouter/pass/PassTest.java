package io.submissionrouter.pass;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.submissionrouter.config.SessionSettings;
import io.submissionrouter.config.TlsMode;
import io.submissionrouter.job.EmailJob;
import io.submissionrouter.job.ValidJob;
import io.submissionrouter.relay.Breaker;
import io.submissionrouter.relay.Endpoint;
import io.submissionrouter.results.Status;
import io.submissionrouter.smtp.OutcomeClass;
import io.submissionrouter.smtp.RecipientReply;
import io.submissionrouter.smtp.SmtpOutcome;
import io.submissionrouter.smtp.SmtpReply;
import io.submissionrouter.smtp.SmtpStep;
import io.submissionrouter.smtp.SubmissionMessage;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** What the router does next after each kind of session outcome (CONTRACT 5.2, 5.3). */
class PassTest {

    private static final Endpoint PRIMARY = endpoint("primary");
    private static final Instant NOW = Instant.parse("2026-11-27T10:00:00Z");

    private static Endpoint endpoint(String name) {
        SessionSettings spec = new SessionSettings("default", name, "smtp.example.net", 587, TlsMode.STARTTLS, Optional::empty, java.util.List.of(),
                null, true, Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1),
                Optional.empty());
        return new Endpoint(spec, null, new Breaker(name, 4, 0.5, Duration.ofSeconds(1), 1));
    }

    private static final ObjectMapper JSON = new ObjectMapper().findAndRegisterModules();
    private static final SourceRecord SOURCE = new SourceRecord("email.jobs", 0, 7, NOW, null, new byte[0], null);

    private static Pass pass(String... recipients) {
        return Pass.of(SOURCE, NOW, job(recipients), message(job(recipients)));
    }

    private static ValidJob job(String... recipients) {
        List<InternetAddress> to = java.util.Arrays.stream(recipients).map(PassTest::address).toList();
        EmailJob job = new EmailJob("j-1", "a@shop.example", null, List.of(recipients), null, null, "s", "t", null,
                null, null, null, Map.of("k", "v"));
        return new ValidJob(job, address("a@shop.example"), null, to, List.of(), List.of());
    }

    private static SubmissionMessage message(ValidJob job) {
        SubmissionMessage message = new SubmissionMessage(Session.getInstance(new Properties()), "<id@x>");
        message.envelope(job.recipients());
        return message;
    }

    /**
     * The job as the next pass sees it: its state through the JSON of a tier record's router.state header,
     * onto a message built afresh from the job, as the retry consumer does.
     */
    private static Pass nextPass(Pass d, String... recipients) throws Exception {
        DeferredState state = JSON.readValue(JSON.writeValueAsString(d.deferredState()), DeferredState.class);
        ValidJob job = job(recipients);
        return Pass.resumed(SOURCE, job, message(job), state);
    }

    private static InternetAddress address(String a) {
        try {
            return new InternetAddress(a, true);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static SmtpOutcome outcome(OutcomeClass c, SmtpStep step, String reply, List<String> accepted,
            List<RecipientReply> rejected, List<RecipientReply> pending) {
        return new SmtpOutcome(c, step, SmtpReply.parse(reply), accepted, rejected, pending, 5, null);
    }

    /** Recipients still pending after a session, with the reply each got (null: none). */
    private static List<RecipientReply> pending(String reply, String... addresses) {
        SmtpReply r = SmtpReply.parse(reply);
        return java.util.Arrays.stream(addresses).map(a -> r == null ? new RecipientReply(a, null, null, null)
                : new RecipientReply(a, r.code(), r.enhancedCode(), r.text())).toList();
    }

    @Test
    void anEndpointFailureSendsTheSameJobToTheNextEndpointAtOnce() throws Exception {
        Pass d = pass("ada@example.org");
        d.apply(PRIMARY, outcome(OutcomeClass.ENDPOINT_DOWN, SmtpStep.CONNECT, null, List.of(), List.of(),
                pending(null, "ada@example.org")), 3, true, NOW);
        assertThat(d.next()).isEqualTo(Pass.Next.ROUTE);
        assertThat(d.wasTried("primary")).isTrue();
        assertThat(d.deferredState().retryableOutcomes()).isZero();
        assertThat(d.message().envelope()).extracting(InternetAddress::getAddress).containsExactly("ada@example.org");
        assertThat(d.drainAttempts()).extracting(a -> a.outcome()).containsExactly(OutcomeClass.ENDPOINT_DOWN);
    }

    @Test
    void partialDeferralKeepsOnlyTheDeferredRecipientsPending() throws Exception {
        Pass d = pass("ada@example.org", "bob@example.org", "eve@example.org");
        RecipientReply bob = new RecipientReply("bob@example.org", 451, "4.2.0", "later");
        RecipientReply eve = new RecipientReply("eve@example.org", 550, "5.1.1", "unknown");
        d.apply(PRIMARY, outcome(OutcomeClass.SENT, SmtpStep.DOT, "250 ok", List.of("ada@example.org"), List.of(eve),
                List.of(bob)), 3, true, NOW);
        assertThat(d.next()).isEqualTo(Pass.Next.RETRY);
        assertThat(d.acceptedInThisPass()).as("the job is completed before it goes to a retry tier").isTrue();
        assertThat(d.message().envelope()).extracting(InternetAddress::getAddress).containsExactly("bob@example.org");

        Pass again = nextPass(d, "ada@example.org", "bob@example.org", "eve@example.org");
        assertThat(again.message().envelope()).extracting(InternetAddress::getAddress)
                .containsExactly("bob@example.org");
        again.apply(PRIMARY, outcome(OutcomeClass.SENT, SmtpStep.DOT, "250 ok", List.of("bob@example.org"), List.of(),
                List.of()), 3, true, NOW);
        assertThat(again.status()).isEqualTo(Status.SENT);
        assertThat(again.accepted()).containsExactly("ada@example.org", "bob@example.org");
        assertThat(again.rejected()).containsExactly(eve);
        assertThat(again.failed()).isEmpty();
        assertThat(again.sessions()).isEqualTo(2);
        assertThat(again.receivedAt()).isEqualTo(NOW);
    }

    @Test
    void aRefusalOfTheDotAfterSomeRecipientsWereAcceptedKeepsEveryRecipientInOneList() throws Exception {
        // pass 1: ada accepted at RCPT, bob deferred at RCPT, then 451 to the dot: nobody has the message
        Pass d = pass("ada@example.org", "bob@example.org");
        d.apply(PRIMARY, outcome(OutcomeClass.TRANSIENT, SmtpStep.DOT, "451 4.3.0 queue full", List.of(), List.of(),
                List.of(new RecipientReply("ada@example.org", 451, "4.3.0", "queue full"),
                        new RecipientReply("bob@example.org", 451, "4.2.0", "later"))), 3, true, NOW);
        assertThat(d.next()).isEqualTo(Pass.Next.RETRY);
        assertThat(d.acceptedInThisPass()).isFalse();
        assertThat(d.message().envelope()).extracting(InternetAddress::getAddress)
                .containsExactly("ada@example.org", "bob@example.org");
        // pass 2: 554 to the dot: both refused for good, none lost
        Pass again = nextPass(d, "ada@example.org", "bob@example.org");
        again.apply(PRIMARY, outcome(OutcomeClass.REJECTED, SmtpStep.DOT, "554 5.7.1 spam", List.of(),
                List.of(new RecipientReply("ada@example.org", 554, "5.7.1", "spam"),
                        new RecipientReply("bob@example.org", 554, "5.7.1", "spam")), List.of()), 3, true, NOW);
        assertThat(again.status()).isEqualTo(Status.REJECTED);
        assertThat(again.rejected()).extracting(RecipientReply::address)
                .containsExactly("ada@example.org", "bob@example.org");
        assertThat(again.accepted()).isEmpty();
    }

    @Test
    void aJobAcceptedForSomeRecipientsWhoseRetriesRunOutIsSentWithTheOthersFailed() throws Exception {
        Pass d = pass("ada@example.org", "bob@example.org");
        d.apply(PRIMARY, outcome(OutcomeClass.SENT, SmtpStep.DOT, "250 ok", List.of("ada@example.org"), List.of(),
                pending("451 4.2.0 later", "bob@example.org")), 2, true, NOW);
        Pass again = nextPass(d, "ada@example.org", "bob@example.org");
        again.apply(PRIMARY, outcome(OutcomeClass.TRANSIENT, SmtpStep.RCPT, "451 4.2.0 still later", List.of(),
                List.of(), pending("451 4.2.0 still later", "bob@example.org")), 2, true, NOW);
        assertThat(again.status()).as("completed: a server accepted it for ada").isEqualTo(Status.SENT);
        assertThat(again.error().code()).isEqualTo("RETRIES_EXHAUSTED");
        assertThat(again.accepted()).containsExactly("ada@example.org");
        assertThat(again.failed()).containsExactly(new RecipientReply("bob@example.org", 451, "4.2.0", "still later"));
        assertThat(again.acceptedInThisPass()).isFalse();
    }

    @Test
    void transientOutcomesEndFailedAfterMaxAttempts() throws Exception {
        Pass d = pass("ada@example.org");
        d.apply(PRIMARY, outcome(OutcomeClass.ENDPOINT_DOWN, SmtpStep.CONNECT, null, List.of(), List.of(),
                pending(null, "ada@example.org")), 3, true, NOW);
        for (int i = 1; i <= 3; i++) {
            if (i > 1) {
                d = nextPass(d, "ada@example.org");
            }
            d.apply(PRIMARY, outcome(OutcomeClass.TRANSIENT, SmtpStep.DOT, "451 4.3.0 later", List.of(), List.of(),
                    pending("451 4.3.0 later", "ada@example.org")), 3, true, NOW);
        }
        assertThat(d.status()).isEqualTo(Status.FAILED);
        assertThat(d.error().code()).isEqualTo("RETRIES_EXHAUSTED");
        assertThat(d.failed()).extracting(RecipientReply::address).containsExactly("ada@example.org");
        assertThat(d.sessions()).as("the endpoint failure counts as a session, not toward max-attempts").isEqualTo(4);
    }

    @Test
    void uncertainIsRetriedAsPossibleDuplicateOrReportedWhenResendingIsOff() throws Exception {
        Pass resend = pass("ada@example.org");
        resend.apply(PRIMARY, outcome(OutcomeClass.UNCERTAIN, SmtpStep.DOT, null, List.of(), List.of(),
                pending(null, "ada@example.org")), 3, true, NOW);
        assertThat(resend.next()).isEqualTo(Pass.Next.RETRY);
        assertThat(resend.possibleDuplicate()).isTrue();
        assertThat(resend.deferredState().retryableOutcomes()).as("an uncertain outcome counts toward max-attempts")
                .isEqualTo(1);

        Pass report = pass("ada@example.org");
        report.apply(PRIMARY, outcome(OutcomeClass.UNCERTAIN, SmtpStep.DOT, null, List.of(), List.of(),
                pending(null, "ada@example.org")), 3, false, NOW);
        assertThat(report.status()).isEqualTo(Status.UNCERTAIN);
    }

    @Test
    void uncertainOutcomesEndUncertainNeverFailedWhenTheAttemptsAreUsedUp() throws Exception {
        Pass d = pass("ada@example.org");
        for (int i = 1; i <= 3; i++) {
            if (i > 1) {
                d = nextPass(d, "ada@example.org");
            }
            d.apply(PRIMARY, outcome(OutcomeClass.UNCERTAIN, SmtpStep.DOT, null, List.of(), List.of(),
                    pending(null, "ada@example.org")), 3, true, NOW);
        }
        assertThat(d.status()).isEqualTo(Status.UNCERTAIN);
        assertThat(d.possibleDuplicate()).isTrue();
        assertThat(d.sessions()).isEqualTo(3);
        assertThat(d.failed()).extracting(RecipientReply::address).containsExactly("ada@example.org");
    }

    @Test
    void aPermanentRefusalOfTheMessageRejectsEveryPendingRecipient() throws Exception {
        Pass d = pass("ada@example.org", "bob@example.org");
        d.apply(PRIMARY, outcome(OutcomeClass.REJECTED, SmtpStep.DOT, "554 5.7.1 spam", List.of(),
                pending("554 5.7.1 spam", "ada@example.org", "bob@example.org"), List.of()), 3, true, NOW);
        assertThat(d.status()).isEqualTo(Status.REJECTED);
        assertThat(d.rejected()).extracting(RecipientReply::address).containsExactly("ada@example.org", "bob@example.org");
        assertThat(d.rejected()).allMatch(r -> r.smtpCode() == 554);
    }

    @Test
    void aSkippedEndpointIsAnAttemptEventButNotASession() {
        Pass d = pass("ada@example.org");
        assertThat(d.skipped(PRIMARY, NOW)).isTrue();
        assertThat(d.wasTried("primary")).isTrue();
        assertThat(d.drainAttempts()).extracting(a -> a.outcome()).containsExactly(OutcomeClass.SKIPPED_OPEN);
        assertThat(d.sessions()).isZero();
    }

    @Test
    void anInternalFailureAfterAServerAcceptedTheJobEndsItSent() throws Exception {
        Pass d = pass("ada@example.org", "bob@example.org");
        d.apply(PRIMARY, outcome(OutcomeClass.SENT, SmtpStep.DOT, "250 ok", List.of("ada@example.org"), List.of(),
                pending("451 4.2.0 later", "bob@example.org")), 3, true, NOW);
        d.end("INTERNAL_ERROR", "NullPointerException: a bug");
        assertThat(d.status()).as("never FAILED (resubmittable) once a server accepted it").isEqualTo(Status.SENT);
        assertThat(d.failed()).extracting(RecipientReply::address).containsExactly("bob@example.org");
    }

    @Test
    void theLastSessionsAnswerAndPossibleDuplicateSurviveTheTrip() throws Exception {
        Pass d = pass("ada@example.org");
        d.apply(PRIMARY, outcome(OutcomeClass.UNCERTAIN, SmtpStep.DOT, null, List.of(), List.of(),
                pending(null, "ada@example.org")), 3, true, NOW);
        d.apply(PRIMARY, outcome(OutcomeClass.THROTTLED, SmtpStep.MAIL, "451 4.7.1 slow down", List.of(), List.of(),
                pending("451 4.7.1 slow down", "ada@example.org")), 3, true, NOW);
        Pass again = nextPass(d, "ada@example.org");
        assertThat(again.possibleDuplicate()).isTrue();
        assertThat(again.deferredState().retryableOutcomes()).isEqualTo(2);
        assertThat(again.decisive().outcome()).isEqualTo(OutcomeClass.THROTTLED);
        assertThat(again.decisive().reply()).isEqualTo(new SmtpReply(451, "4.7.1", "slow down"));
        assertThat(again.lastEndpoint().name()).isEqualTo("primary");
        assertThat(again.next()).isEqualTo(Pass.Next.ROUTE);
        assertThat(again.wasTried("primary")).isFalse();
    }

    @Test
    void aJobUncertainOnceThatThenRunsOutOfRetriesEndsUncertainNeverFailed() throws Exception {
        Pass d = pass("ada@example.org");
        d.apply(PRIMARY, outcome(OutcomeClass.UNCERTAIN, SmtpStep.DOT, null, List.of(), List.of(),
                pending(null, "ada@example.org")), 2, true, NOW);
        Pass again = nextPass(d, "ada@example.org");
        again.apply(PRIMARY, outcome(OutcomeClass.TRANSIENT, SmtpStep.MAIL, "451 4.3.0 later", List.of(), List.of(),
                pending("451 4.3.0 later", "ada@example.org")), 2, true, NOW);
        assertThat(again.status()).as("the first copy may have arrived").isEqualTo(Status.UNCERTAIN);
        assertThat(again.possibleDuplicate()).isTrue();
    }

    @Test
    void aPassWhereEveryEndpointFailedGoesToARetryTierWithoutCountingAnAttempt() throws Exception {
        Pass d = pass("ada@example.org");
        d.apply(PRIMARY, outcome(OutcomeClass.ENDPOINT_DOWN, SmtpStep.DATA, null, List.of(), List.of(),
                pending(null, "ada@example.org")), 3, true, NOW);
        d.apply(endpoint("fallback"), outcome(OutcomeClass.ENDPOINT_DOWN, SmtpStep.DATA, null, List.of(), List.of(),
                pending(null, "ada@example.org")), 3, true, NOW);
        d.noEndpointAdmits();
        assertThat(d.next()).isEqualTo(Pass.Next.RETRY);
        assertThat(d.deferredState().retryableOutcomes()).isZero();
        assertThat(d.deferrals()).isEqualTo(1);
        assertThat(nextPass(d, "ada@example.org").deferrals()).as("carried to the next pass").isEqualTo(1);

        Pass skipped = pass("ada@example.org");
        skipped.apply(PRIMARY, outcome(OutcomeClass.ENDPOINT_DOWN, SmtpStep.CONNECT, null, List.of(), List.of(),
                pending(null, "ada@example.org")), 3, true, NOW);
        skipped.skipped(endpoint("fallback"), NOW);
        skipped.noEndpointAdmits();
        assertThat(skipped.next()).as("an endpoint is open: the job waits for it").isEqualTo(Pass.Next.WAIT);
        assertThat(skipped.waits()).isEqualTo(1);
    }

    @Test
    void aFallbackWithoutSmtpUtf8AfterAServerAcceptedSomeRecipientsLeavesTheJobSentWithTheOthersFailed()
            throws Exception {
        Pass d = pass("ada@example.org", "bob@example.org");
        d.apply(PRIMARY, outcome(OutcomeClass.SENT, SmtpStep.DOT, "250 ok", List.of("ada@example.org"), List.of(),
                pending("451 4.2.0 later", "bob@example.org")), 3, true, NOW);
        Pass again = nextPass(d, "ada@example.org", "bob@example.org");
        again.apply(endpoint("fallback"), SmtpOutcome.lacksExtension("no SMTPUTF8", 1), 3, true, NOW);
        assertThat(again.status()).isEqualTo(Status.SENT);
        assertThat(again.accepted()).containsExactly("ada@example.org");
        assertThat(again.failed()).extracting(RecipientReply::address).containsExactly("bob@example.org");
    }

    /** A pass kept until its commit holds no bytes of the job once it owes nothing (jobs behind a slow one pile up). */
    @Test
    void aPassThatOwesNothingLetsGoOfTheJobsBytesAndMessage() {
        Pass d = pass("ada@example.org");
        assertThat(d.message()).isNotNull();
        d.owesNothing();
        assertThat(d.message()).isNull();
        assertThat(d.source().value()).isNull();
        assertThat(d.source().offset()).isEqualTo(SOURCE.offset());
        assertThat(d.source().partition()).isEqualTo(SOURCE.partition());
        assertThat(d.jobId()).isEqualTo("j-1");
    }

    @Test
    void aSessionWhoseFirstTransactionWasAcceptedAndASecondFailedGoesToARetryTierNotTheNextEndpoint() {
        Pass d = pass("r1@example.org", "r2@example.org", "r3@example.org");
        // a server taking two recipients a transaction; the connection lost at the second transaction's MAIL
        d.apply(PRIMARY, outcome(OutcomeClass.ENDPOINT_DOWN, SmtpStep.MAIL, null,
                List.of("r1@example.org", "r2@example.org"), List.of(),
                List.of(new RecipientReply("r3@example.org", null, null, null))), 3, true, NOW);
        assertThat(d.next()).as("the completion first: never another session in this pass")
                .isEqualTo(Pass.Next.RETRY);
        assertThat(d.acceptedInThisPass()).isTrue();
        assertThat(d.accepted()).containsExactly("r1@example.org", "r2@example.org");
        assertThat(d.message().envelope()).extracting(InternetAddress::getAddress).containsExactly("r3@example.org");
        assertThat(d.deferredState().retryableOutcomes()).as("not an attempt toward max-attempts").isZero();
    }

    @Test
    void aJobTimeoutIsKeptAsTransientInTheStateAVersionBeforeCanRead() throws Exception {
        Pass d = pass("ada@example.org");
        d.apply(PRIMARY, outcome(OutcomeClass.JOB_TIMEOUT, SmtpStep.RCPT, null, List.of(), List.of(),
                List.of(new RecipientReply("ada@example.org", null, null, null))), 3, true, NOW);
        assertThat(d.next()).isEqualTo(Pass.Next.RETRY);
        String state = JSON.writeValueAsString(d.deferredState());
        assertThat(state).doesNotContain("job_timeout").contains("\"outcome\":\"transient\"");
        assertThat(nextPass(d, "ada@example.org").deferredState().retryableOutcomes()).isEqualTo(1);
    }
}
