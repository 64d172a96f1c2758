package io.submissionrouter.smtp;

import io.submissionrouter.config.SessionSettings;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;
import static org.assertj.core.api.Assertions.assertThat;

import io.submissionrouter.config.TlsMode;
import io.submissionrouter.testing.FaultSmtpServer.Action;
import io.submissionrouter.testing.FaultSmtpServer.Step;
import io.submissionrouter.testing.FaultSmtpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every reply is bounded in size and in time in total (CONTRACT 9.1), in the sessions that carry messages, in the
 * prober's, and in a TLS handshake from the first byte (which FaultMatrixTest's STARTTLS cells do not reach), straight
 * against a scripted server without Quarkus. Settings: read-timeout 2 s (TestEndpoints).
 */
// beside the Quarkus tests (only its own servers, mostly waiting); its own methods one after another (the lock)
@Execution(ExecutionMode.CONCURRENT)
@ResourceLock("BoundedRepliesTest")
class BoundedRepliesTest {

    private static FaultSmtpServer startTls;
    private static FaultSmtpServer implicitTls;

    @BeforeAll
    static void start() {
        startTls = FaultSmtpServer.startStartTls("bounded");
        implicitTls = FaultSmtpServer.startImplicitTls("bounded-465");
    }

    @AfterAll
    static void stop() {
        startTls.close();
        implicitTls.close();
    }

    @AfterEach
    void reset() {
        startTls.reset();
        startTls.cutAll();
        implicitTls.reset();
        implicitTls.cutAll();
    }

    private static SmtpSubmitter submitter(FaultSmtpServer server, TlsMode tls) {
        return new SmtpSubmitter(TestEndpoints.spec(server.port(), tls, "/tls/smtp-ca.pem",
                TestEndpoints.password(FaultSmtpServer.PASSWORD)), null, null);
    }

    @Test
    void theProberHangsUpOnAGreetingWithoutEnd() {
        startTls.fault(Step.GREETING, 1, Action.flood(), 1);
        SmtpOutcome outcome = submitter(startTls, TlsMode.STARTTLS).probe();
        assertThat(outcome.outcome()).isEqualTo(OutcomeClass.ENDPOINT_DOWN);
        assertThat(outcome.step()).isEqualTo(SmtpStep.GREETING);
        assertThat(outcome.detail()).contains("exceeded 65536 bytes"); // SessionSocket.MAX_REPLY_BYTES
        assertThat(startTls.flooded()).as("what the server got out before the prober hung up")
                .isLessThan(FaultSmtpServer.FLOOD_CAP / 4);
    }

    @Test
    void theProberHangsUpOnAnEhloThatNeverEnds() {
        startTls.fault(Step.EHLO, 2, Action.drip("250-still listing", 300), 1);
        SmtpOutcome outcome = submitter(startTls, TlsMode.STARTTLS).probe();
        assertThat(outcome.outcome()).isEqualTo(OutcomeClass.ENDPOINT_DOWN);
        assertThat(outcome.step()).isEqualTo(SmtpStep.EHLO);
        // the probe's own deadline is four times connect + read (16 s): the reply's bound (2 s) came first
        assertThat(outcome.detail()).contains("no complete reply to ehlo within its time").doesNotContain("job");
    }

    @Test
    void aTlsHandshakeFromTheFirstByteIsBoundedInTotal() throws Exception {
        implicitTls.fault(Step.STARTTLS, 1, Action.stallHandshake(300), 1);
        SmtpOutcome outcome = TestEndpoints.send(submitter(implicitTls, TlsMode.IMPLICIT), "ada@example.org");
        assertThat(outcome.outcome()).isEqualTo(OutcomeClass.ENDPOINT_DOWN);
        assertThat(outcome.detail()).contains("no complete TLS handshake within its time");
        assertThat(implicitTls.received()).isEmpty();
    }

    @Test
    void aTlsHandshakeFromTheFirstByteStillSends() throws Exception {
        SmtpOutcome outcome = TestEndpoints.send(submitter(implicitTls, TlsMode.IMPLICIT), "ada@example.org");
        assertThat(outcome.outcome()).isEqualTo(OutcomeClass.SENT);
        assertThat(implicitTls.received()).hasSize(1);
    }

    @Test
    void aReplyTextIsCutTo512Characters() throws Exception {
        String longText = "x".repeat(2000);
        startTls.fault(Step.DOT, 1, Action.reply("250 2.0.0 " + longText), 1);
        SmtpOutcome outcome = TestEndpoints.send(submitter(startTls, TlsMode.STARTTLS), "ada@example.org");
        assertThat(outcome.outcome()).isEqualTo(OutcomeClass.SENT);
        assertThat(outcome.reply().text()).hasSize(512); // SmtpReply.MAX_TEXT_CHARS
    }

    @Test
    void closingATlsSessionDoesNotWaitOutTheLastRepliesBound() throws Exception {
        startTls.holdOnQuit(); // no reply to QUIT, no close, no TLS close_notify
        long start = System.nanoTime();
        SmtpOutcome outcome = TestEndpoints.send(submitter(startTls, TlsMode.STARTTLS), "ada@example.org");
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertThat(outcome.outcome()).isEqualTo(OutcomeClass.SENT);
        // a bound, not a speed: the session, closing included, ends well before the dot's bound (data-timeout 5 s)
        assertThat(millis).as("the whole session, closing included").isLessThan(4000);
    }

    @Test
    void aServerTakingTheBodyAFewBytesAtATimeCannotHoldTheSessionPastTheJobsTime() throws Exception {
        startTls.fault(Step.BODY, 1, Action.trickle(50), 1); // 80 KiB a second
        // larger than the socket buffers hold: the writes crawl at the server's pace, each within write-timeout
        String body = "0123456789abcdef\r\n".repeat(400_000);
        long deadline = System.nanoTime() + 3_000_000_000L; // the job's time: the session setup, and some body
        SessionSettings spec = TestEndpoints.spec(startTls.port(), TlsMode.STARTTLS, "/tls/smtp-ca.pem",
                TestEndpoints.password(FaultSmtpServer.PASSWORD));
        // write-timeout 20 s: no single write of the crawl takes that long (TCP's own stalls included)
        spec = new SessionSettings(spec.relay(), spec.name(), spec.host(), spec.port(), spec.tls(), spec.credentials(),
                spec.authMechanisms(), spec.sslSocketFactory(), spec.verifyIdentity(), spec.connectTimeout(),
                spec.readTimeout(), spec.dataTimeout(), java.time.Duration.ofSeconds(20), spec.ehloName());
        SmtpOutcome outcome = new SmtpSubmitter(spec, null, null)
                .submit(TestEndpoints.message("ada@example.org", body),
                        java.util.List.of(new jakarta.mail.internet.InternetAddress("ada@example.org")), deadline);
        assertThat(outcome.outcome()).as("the job's own time, not the endpoint's failure: %s", outcome.detail())
                .isEqualTo(OutcomeClass.JOB_TIMEOUT);
        assertThat(outcome.step()).isEqualTo(SmtpStep.DATA);
        assertThat(outcome.deferred()).extracting(RecipientReply::address).containsExactly("ada@example.org");
        assertThat(startTls.received()).isEmpty();
    }
}
