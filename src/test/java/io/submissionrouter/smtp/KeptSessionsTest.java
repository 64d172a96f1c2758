package io.submissionrouter.smtp;

import io.submissionrouter.config.SessionSettings;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;
import static io.submissionrouter.testing.FaultSmtpServer.Action.reply;
import static io.submissionrouter.testing.FaultSmtpServer.Action.delay;
import static io.submissionrouter.testing.FaultSmtpServer.Action.silent;
import static org.assertj.core.api.Assertions.assertThat;

import io.submissionrouter.config.TlsMode;
import io.submissionrouter.config.TrustStores;
import io.submissionrouter.testing.FaultSmtpServer.Step;
import io.submissionrouter.testing.FaultSmtpServer;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A kept session used a moment ago goes straight to MAIL, without RSET (submission.smtp.pool.check-after-idle), and
 * that never costs a message: a session the server closed meanwhile (or announced closing with 421) is replaced and
 * the message goes on a new one; MAIL's reply is waited for read-timeout, as every reply but the dot's (CONTRACT 5.1),
 * so a server slow under load is not taken for a dead one, and silence is the endpoint down after that. Against a
 * scripted STARTTLS + AUTH server that counts the RSETs it gets.
 */
// beside the Quarkus tests (only its own servers, mostly waiting); its own methods one after another (the lock)
@Execution(ExecutionMode.CONCURRENT)
@ResourceLock("KeptSessionsTest")
class KeptSessionsTest {

    private static final Duration CONNECT_TIMEOUT = Duration.ofMillis(800);
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(3);
    private static FaultSmtpServer server;
    private static ScheduledExecutorService writeTimeouts;

    @BeforeAll
    static void start() {
        server = FaultSmtpServer.startStartTls("kept");
        writeTimeouts = Executors.newSingleThreadScheduledExecutor();
    }

    @AfterAll
    static void stop() {
        server.close();
        writeTimeouts.shutdownNow();
    }

    @BeforeEach
    void reset() {
        server.reset();
        server.cutAll();
    }

    private static SmtpSubmitter pooled(Duration checkAfterIdle) {
        SessionSettings spec = new SessionSettings("default", "primary", "127.0.0.1", server.port(), TlsMode.STARTTLS,
                TestEndpoints.password(FaultSmtpServer.PASSWORD), java.util.List.of(),
                TrustStores.socketFactory(Optional.of(TestEndpoints.resource("/tls/smtp-ca.pem")), "trust-pem"), true,
                CONNECT_TIMEOUT, READ_TIMEOUT, Duration.ofSeconds(30), Duration.ofSeconds(5), Optional.empty());
        return new SmtpSubmitter(spec, new SmtpSubmitter.PoolLimits(4, 100, Duration.ofMinutes(5),
                Duration.ofSeconds(30), checkAfterIdle), writeTimeouts);
    }

    @Test
    void aSessionUsedAMomentAgoCarriesTheNextMessageWithoutRsetAndOneIdleLongerIsChecked() throws Exception {
        try (SmtpSubmitter submitter = pooled(Duration.ofMillis(500))) {
            for (int i = 0; i < 5; i++) {
                assertThat(TestEndpoints.send(submitter, "ada" + i + "@example.org").outcome())
                        .isEqualTo(OutcomeClass.SENT);
            }
            assertThat(server.logins()).isEqualTo(1);
            assertThat(server.rsets()).isZero();

            Thread.sleep(700); // idle longer than check-after-idle
            assertThat(TestEndpoints.send(submitter, "bob@example.org").outcome()).isEqualTo(OutcomeClass.SENT);
            assertThat(server.rsets()).isEqualTo(1);
            assertThat(server.logins()).isEqualTo(1);
            assertThat(server.received()).hasSize(6);
        }
    }

    @Test
    void checkAfterIdleZeroChecksEveryKeptSession() throws Exception {
        try (SmtpSubmitter submitter = pooled(Duration.ZERO)) {
            for (int i = 0; i < 3; i++) {
                assertThat(TestEndpoints.send(submitter, "ada" + i + "@example.org").outcome())
                        .isEqualTo(OutcomeClass.SENT);
            }
            assertThat(server.rsets()).isEqualTo(2);
        }
    }

    @Test
    void aSessionTheServerClosedMeanwhileIsReplacedAndTheMessageGoesOnANewOne() throws Exception {
        try (SmtpSubmitter submitter = pooled(Duration.ofSeconds(30))) {
            assertThat(TestEndpoints.send(submitter, "ada@example.org").outcome()).isEqualTo(OutcomeClass.SENT);
            server.cutAll(); // a restart: the kept session is gone, and nothing says so until it is used
            SmtpOutcome next = TestEndpoints.send(submitter, "bob@example.org");
            assertThat(next.outcome()).isEqualTo(OutcomeClass.SENT);
            assertThat(next.step()).isEqualTo(SmtpStep.DOT);
            assertThat(next.accepted()).containsExactly("bob@example.org");
            assertThat(server.logins()).isEqualTo(2);
            assertThat(server.received()).extracting(r -> r.recipients().get(0))
                    .containsExactly("ada@example.org", "bob@example.org");
        }
    }

    @Test
    void aSessionTheServerEndsWith421AtMailIsReplacedNotTakenForThrottling() throws Exception {
        try (SmtpSubmitter submitter = pooled(Duration.ofSeconds(30))) {
            assertThat(TestEndpoints.send(submitter, "ada@example.org").outcome()).isEqualTo(OutcomeClass.SENT);
            // the 2nd MAIL of the kept session: a server timing the session out answers 421 and hangs up
            server.fault(Step.MAIL, 2, reply("421 4.4.2 Timeout, closing"), 1);
            SmtpOutcome next = TestEndpoints.send(submitter, "bob@example.org");
            assertThat(next.outcome()).isEqualTo(OutcomeClass.SENT);
            assertThat(server.logins()).isEqualTo(2);
            assertThat(server.received()).hasSize(2);
        }
    }

    @Test
    void aKeptSessionThatGoesSilentAtMailIsTheEndpointDownAfterReadTimeout() throws Exception {
        try (SmtpSubmitter submitter = pooled(Duration.ofSeconds(30))) {
            assertThat(TestEndpoints.send(submitter, "ada@example.org").outcome()).isEqualTo(OutcomeClass.SENT);
            server.fault(Step.MAIL, 2, silent(), 1);
            SmtpOutcome down = TestEndpoints.send(submitter, "bob@example.org");
            assertThat(down.outcome()).isEqualTo(OutcomeClass.ENDPOINT_DOWN);
            assertThat(down.step()).isEqualTo(SmtpStep.MAIL);
            assertThat(down.reply()).isNull();
            assertThat(down.deferred()).extracting(RecipientReply::address).containsExactly("bob@example.org");
            assertThat(Duration.ofMillis(down.durationMillis())).isGreaterThanOrEqualTo(READ_TIMEOUT);
            assertThat(submitter.openSessions()).isZero();
            assertThat(server.received()).hasSize(1);
        }
    }

    @Test
    void aKeptSessionWhoseServerIsSlowToAnswerMailStillSends() throws Exception {
        try (SmtpSubmitter submitter = pooled(Duration.ofSeconds(30))) {
            assertThat(TestEndpoints.send(submitter, "ada@example.org").outcome()).isEqualTo(OutcomeClass.SENT);
            // slower than connect-timeout, within read-timeout: a busy server, not a dead one
            server.fault(Step.MAIL, 2, delay(CONNECT_TIMEOUT.multipliedBy(2).toMillis()), 1);
            SmtpOutcome sent = TestEndpoints.send(submitter, "bob@example.org");
            assertThat(sent.outcome()).isEqualTo(OutcomeClass.SENT);
            assertThat(server.logins()).as("on the kept session").isEqualTo(1);
            assertThat(server.received()).hasSize(2);
        }
    }

    @Test
    void aRefusalAtMailOnAKeptSessionIsTheServersAnswerNotAStaleSession() throws Exception {
        try (SmtpSubmitter submitter = pooled(Duration.ofSeconds(30))) {
            assertThat(TestEndpoints.send(submitter, "ada@example.org").outcome()).isEqualTo(OutcomeClass.SENT);
            server.fault(Step.MAIL, 2, reply("451 4.3.0 Try again later"), 1);
            SmtpOutcome refused = TestEndpoints.send(submitter, "bob@example.org");
            assertThat(refused.outcome()).isEqualTo(OutcomeClass.TRANSIENT);
            assertThat(refused.reply().code()).isEqualTo(451);
            assertThat(server.logins()).isEqualTo(1);
            assertThat(server.received()).hasSize(1);
        }
    }
}
