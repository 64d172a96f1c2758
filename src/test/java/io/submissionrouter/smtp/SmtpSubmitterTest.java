package io.submissionrouter.smtp;

import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;
import static org.assertj.core.api.Assertions.assertThat;

import io.submissionrouter.config.CredentialSource;
import io.submissionrouter.testing.TestSmtpServer;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * SMTP sessions straight against real STARTTLS servers, without Quarkus: certificates and host names are
 * verified, credentials files are read at every new session, and nothing goes out unencrypted.
 */
// beside the Quarkus tests (only its own servers, mostly waiting); its own methods one after another (the lock)
@Execution(ExecutionMode.CONCURRENT)
@ResourceLock("SmtpSubmitterTest")
class SmtpSubmitterTest {

    private static TestSmtpServer trusted;
    private static TestSmtpServer wrongName;

    @BeforeAll
    static void start() {
        trusted = TestSmtpServer.start("trusted");
        wrongName = TestSmtpServer.start("wrong-name", "/tls/wrong-name.p12");
    }

    @AfterAll
    static void stop() {
        trusted.close();
        wrongName.close();
    }

    private static SmtpSubmitter submitter(TestSmtpServer server, String trustPem, CredentialSource credentials) {
        return new SmtpSubmitter(TestEndpoints.spec(server, trustPem, credentials), null, null);
    }

    private static CredentialSource password(String password) {
        return TestEndpoints.password(password);
    }

    private static SmtpOutcome send(SmtpSubmitter submitter) throws Exception {
        return TestEndpoints.send(submitter, "ada@example.org");
    }

    @Test
    void sendsOverStartTlsWhenTheCertificateIsTrustedAndNamesTheHost() throws Exception {
        SmtpOutcome outcome = send(submitter(trusted, "/tls/smtp-ca.pem", password(TestSmtpServer.PASSWORD)));
        assertThat(outcome.outcome()).isEqualTo(OutcomeClass.SENT);
        assertThat(outcome.reply().code()).isEqualTo(250);
        assertThat(outcome.accepted()).containsExactly("ada@example.org");
    }

    @Test
    void refusesACertificateFromAnUntrustedAuthority() throws Exception {
        int before = trusted.received().size();
        SmtpOutcome outcome = send(submitter(trusted, "/tls/untrusted-ca.pem", password(TestSmtpServer.PASSWORD)));
        assertThat(outcome.outcome()).isEqualTo(OutcomeClass.ENDPOINT_DOWN);
        assertThat(outcome.step()).isEqualTo(SmtpStep.STARTTLS);
        assertThat(trusted.received()).hasSize(before);
        assertThat(trusted.receivedInPlaintext()).isEmpty();
    }

    @Test
    void refusesATrustedCertificateIssuedForAnotherHostName() throws Exception {
        SmtpOutcome outcome = send(submitter(wrongName, "/tls/wrong-name.pem", password(TestSmtpServer.PASSWORD)));
        assertThat(outcome.outcome()).isEqualTo(OutcomeClass.ENDPOINT_DOWN);
        assertThat(outcome.step()).isEqualTo(SmtpStep.STARTTLS);
        assertThat(outcome.detail()).containsIgnoringCase("127.0.0.1");
        assertThat(wrongName.received()).isEmpty();
    }

    @Test
    void classifiesAWrongPasswordAsAConfigErrorAtAuth() throws Exception {
        SmtpOutcome outcome = send(submitter(trusted, "/tls/smtp-ca.pem", password("wrong")));
        assertThat(outcome.outcome()).isEqualTo(OutcomeClass.CONFIG_ERROR);
        assertThat(outcome.step()).isEqualTo(SmtpStep.AUTH);
        assertThat(outcome.reply().code()).isEqualTo(535);
        assertThat(outcome.detail()).doesNotContain("wrong");
    }

    @Test
    void rereadsCredentialFilesAtEverySession(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path user = dir.resolve("username");
        Path pass = dir.resolve("password");
        java.nio.file.Files.writeString(user, TestSmtpServer.USER + "\n");
        java.nio.file.Files.writeString(pass, "old-password\n");
        SmtpSubmitter submitter = submitter(trusted, "/tls/smtp-ca.pem", new CredentialSource(
                "submission.smtp", Optional.empty(), Optional.empty(), Optional.of(user.toString()),
                Optional.of(pass.toString())));
        assertThat(send(submitter).outcome()).isEqualTo(OutcomeClass.CONFIG_ERROR);
        java.nio.file.Files.writeString(pass, TestSmtpServer.PASSWORD + "\n"); // the Secret was rotated
        assertThat(send(submitter).outcome()).isEqualTo(OutcomeClass.SENT);
    }

    @Test
    void probesWithoutSendingAMessage() {
        int before = trusted.received().size();
        assertThat(submitter(trusted, "/tls/smtp-ca.pem", password(TestSmtpServer.PASSWORD)).probe().outcome())
                .isEqualTo(OutcomeClass.SENT);
        assertThat(trusted.received()).hasSize(before);
        trusted.mode(TestSmtpServer.Mode.REFUSE);
        try {
            SmtpOutcome down = submitter(trusted, "/tls/smtp-ca.pem", password(TestSmtpServer.PASSWORD)).probe();
            assertThat(down.outcome()).isEqualTo(OutcomeClass.ENDPOINT_DOWN);
            assertThat(down.step()).isEqualTo(SmtpStep.CONNECT);
        } finally {
            trusted.mode(TestSmtpServer.Mode.UP);
        }
    }

    @Test
    void aSecretFileThatCannotBeReadIsAConfigErrorNamingItsSettingAndNoSessionIsOpened(
            @org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path user = java.nio.file.Files.writeString(dir.resolve("username"), TestSmtpServer.USER);
        Path pass = dir.resolve("password"); // never written: the Secret is not mounted
        int logins = trusted.logins();
        int before = trusted.received().size();
        SmtpOutcome outcome = send(submitter(trusted, "/tls/smtp-ca.pem", new CredentialSource(
                "submission.smtp", Optional.empty(), Optional.empty(), Optional.of(user.toString()),
                Optional.of(pass.toString()))));
        // never a session without AUTH, whose refused MAIL would have looked like a rejected recipient
        assertThat(outcome.outcome()).isEqualTo(OutcomeClass.CONFIG_ERROR);
        assertThat(outcome.step()).isEqualTo(SmtpStep.AUTH);
        assertThat(outcome.detail()).contains("submission.smtp.password-file").contains("cannot be read");
        assertThat(outcome.deferred()).extracting(RecipientReply::address).containsExactly("ada@example.org");
        assertThat(trusted.logins()).isEqualTo(logins);
        assertThat(trusted.received()).hasSize(before);

        java.nio.file.Files.writeString(pass, "");
        assertThat(send(submitter(trusted, "/tls/smtp-ca.pem", new CredentialSource(
                "submission.smtp", Optional.empty(), Optional.empty(), Optional.of(user.toString()),
                Optional.of(pass.toString())))).detail())
                .contains("is empty");
    }

    @Test
    void everyReplyIsWaitedForAtMostUntilTheJobsTimeRunsOut() throws Exception {
        SmtpSubmitter submitter = submitter(trusted, "/tls/smtp-ca.pem", password(TestSmtpServer.PASSWORD));
        SubmissionMessage m = new SubmissionMessage(jakarta.mail.Session.getInstance(new java.util.Properties()),
                "<deadline@test>");
        m.setFrom(new jakarta.mail.internet.InternetAddress("noreply@shop.example"));
        m.setSubject("slow");
        m.setText("slow");
        m.setHeader("X-Test-Fault", "slow-dot-4000"); // within data-timeout (5 s), but the job has 1.5 s left
        m.saveChanges();
        long start = System.nanoTime();
        SmtpOutcome outcome = submitter.submit(m, java.util.List.of(new jakarta.mail.internet.InternetAddress(
                "ada@example.org")), System.nanoTime() + java.time.Duration.ofMillis(1500).toNanos());
        long took = (System.nanoTime() - start) / 1_000_000;
        assertThat(outcome.outcome()).as("the dot was written: nobody knows").isEqualTo(OutcomeClass.UNCERTAIN);
        assertThat(took).isLessThan(3500);
    }
}
