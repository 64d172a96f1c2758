package io.submissionrouter.smtp;

import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;
import static org.assertj.core.api.Assertions.assertThat;

import io.submissionrouter.config.CredentialSource;
import io.submissionrouter.testing.TestSmtpServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Pooled sessions against a real STARTTLS + AUTH server: reused (one AUTH for many messages), checked with RSET
 * before reuse, replaced when broken, bounded in count, messages and idle time, and never reused after a failure.
 */
// beside the Quarkus tests (only its own servers, mostly waiting); its own methods one after another (the lock)
@Execution(ExecutionMode.CONCURRENT)
@ResourceLock("SmtpConnectionPoolTest")
class SmtpConnectionPoolTest {

    private static TestSmtpServer server;

    @BeforeAll
    static void start() {
        server = TestSmtpServer.start("pooled");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @BeforeEach
    void reset() {
        server.reset();
    }

    private static SmtpSubmitter pooled(int maxConnections, int maxMessages, Duration idleTimeout) {
        return new SmtpSubmitter(TestEndpoints.spec(server, "/tls/smtp-ca.pem",
                TestEndpoints.password(TestSmtpServer.PASSWORD)),
                new SmtpSubmitter.PoolLimits(maxConnections, maxMessages, Duration.ofMinutes(5), idleTimeout,
                        Duration.ZERO), null);
    }

    private static SmtpOutcome send(SmtpSubmitter submitter, String to) throws Exception {
        return TestEndpoints.send(submitter, to);
    }

    /**
     * CONTRACT 5.1 and k8s/: credentials from a mounted Secret, laid out as the kubelet does (the files are links
     * through {@code ..data}, and an update swaps that link at once). A new session reads the files again, so a
     * rotated password works without a restart.
     */
    @Test
    void aRotatedSecretIsReadByTheNextSession(@org.junit.jupiter.api.io.TempDir Path mount) throws Exception {
        secretVersion(mount, "v1", TestSmtpServer.USER, "an-old-password");
        CredentialSource fromFiles = new CredentialSource("submission.smtp", Optional.empty(), Optional.empty(),
                Optional.of(mount.resolve("username").toString()), Optional.of(mount.resolve("password").toString()));
        try (SmtpSubmitter submitter = new SmtpSubmitter(TestEndpoints.spec(server, "/tls/smtp-ca.pem", fromFiles),
                new SmtpSubmitter.PoolLimits(1, 100, Duration.ofMinutes(5), Duration.ofSeconds(30),
                        Duration.ZERO), null)) {
            SmtpOutcome refused = send(submitter, "ada@example.org");
            assertThat(refused.outcome()).isEqualTo(OutcomeClass.CONFIG_ERROR);
            assertThat(refused.step()).isEqualTo(SmtpStep.AUTH);

            secretVersion(mount, "v2", TestSmtpServer.USER, TestSmtpServer.PASSWORD);
            assertThat(send(submitter, "ada@example.org").outcome()).isEqualTo(OutcomeClass.SENT);
            assertThat(server.received()).hasSize(1);
        }
    }

    /** Writes a Secret version and points {@code ..data} at it, as the kubelet does on every update. */
    private static void secretVersion(Path mount, String version, String username, String password) throws Exception {
        Path dir = Files.createDirectory(mount.resolve(".." + version));
        Files.writeString(dir.resolve("username"), username);
        Files.writeString(dir.resolve("password"), password + "\n");
        Path next = mount.resolve("..data_tmp");
        Files.createSymbolicLink(next, dir.getFileName());
        Files.move(next, mount.resolve("..data"), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        for (String key : List.of("username", "password")) {
            if (!Files.exists(mount.resolve(key), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                Files.createSymbolicLink(mount.resolve(key), Path.of("..data", key));
            }
        }
    }

    @Test
    void oneAuthenticatedSessionCarriesMessageAfterMessage() throws Exception {
        try (SmtpSubmitter submitter = pooled(2, 100, Duration.ofSeconds(30))) {
            for (int i = 0; i < 10; i++) {
                SmtpOutcome o = send(submitter, "ada" + i + "@example.org");
                assertThat(o.outcome()).isEqualTo(OutcomeClass.SENT);
                assertThat(o.accepted()).containsExactly("ada" + i + "@example.org");
            }
            assertThat(server.logins()).isEqualTo(1);
            assertThat(server.received()).hasSize(10);
            assertThat(server.received()).extracting(r -> r.recipients().get(0))
                    .containsExactly("ada0@example.org", "ada1@example.org", "ada2@example.org", "ada3@example.org",
                            "ada4@example.org", "ada5@example.org", "ada6@example.org", "ada7@example.org",
                            "ada8@example.org", "ada9@example.org");
            assertThat(server.receivedInPlaintext()).isEmpty();
        }
    }

    @Test
    void aSessionCarriesAtMostMaxMessages() throws Exception {
        try (SmtpSubmitter submitter = pooled(2, 3, Duration.ofSeconds(30))) {
            for (int i = 0; i < 7; i++) {
                assertThat(send(submitter, "ada@example.org").outcome()).isEqualTo(OutcomeClass.SENT);
            }
            assertThat(server.logins()).isEqualTo(3);
        }
    }

    @Test
    void aSessionTheServerClosedIsReplacedWithoutLosingTheMessage() throws Exception {
        try (SmtpSubmitter submitter = pooled(2, 100, Duration.ofSeconds(30))) {
            assertThat(send(submitter, "ada@example.org").outcome()).isEqualTo(OutcomeClass.SENT);
            server.cutAll();
            SmtpOutcome after = send(submitter, "grace@example.org");
            assertThat(after.outcome()).isEqualTo(OutcomeClass.SENT);
            assertThat(server.logins()).isEqualTo(2);
            assertThat(server.received()).extracting(r -> r.recipients().get(0))
                    .containsExactly("ada@example.org", "grace@example.org");
        }
    }

    @Test
    void aSessionThatMetAFailureIsNeverReused() throws Exception {
        try (SmtpSubmitter submitter = pooled(2, 100, Duration.ofSeconds(30))) {
            assertThat(send(submitter, "ada@example.org").outcome()).isEqualTo(OutcomeClass.SENT);
            SmtpOutcome refused = send(submitter, "reject-me@example.org");
            assertThat(refused.outcome()).isEqualTo(OutcomeClass.REJECTED);
            assertThat(refused.step()).isEqualTo(SmtpStep.RCPT);
            assertThat(refused.reply().code()).isEqualTo(550);
            SmtpOutcome next = send(submitter, "grace@example.org");
            assertThat(next.outcome()).isEqualTo(OutcomeClass.SENT);
            assertThat(next.step()).isEqualTo(SmtpStep.DOT);
            assertThat(server.logins()).isEqualTo(2);
        }
    }

    @Test
    void idleSessionsAreClosed() throws Exception {
        try (SmtpSubmitter submitter = pooled(2, 100, Duration.ofMillis(300))) {
            assertThat(send(submitter, "ada@example.org").outcome()).isEqualTo(OutcomeClass.SENT);
            assertThat(submitter.openSessions()).isEqualTo(1);
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> submitter.openSessions() == 0);
        }
    }

    @Test
    void concurrentSendersShareAtMostMaxConnectionsSessions() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(6);
        try (SmtpSubmitter submitter = pooled(3, 1000, Duration.ofSeconds(30))) {
            List<Future<SmtpOutcome>> sent = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                String to = "ada" + i + "@example.org";
                sent.add(threads.submit((Callable<SmtpOutcome>) () -> send(submitter, to)));
            }
            for (Future<SmtpOutcome> f : sent) {
                assertThat(f.get().outcome()).as(String.valueOf(f.get())).isEqualTo(OutcomeClass.SENT);
            }
            assertThat(server.received()).hasSize(60);
            assertThat(server.logins()).isBetween(1, 3);
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void aKeptSessionThatStopsAnsweringMeansTheEndpointIsDown() throws Exception {
        try (SmtpSubmitter submitter = pooled(2, 100, Duration.ofSeconds(30))) {
            assertThat(send(submitter, "ada@example.org").outcome()).isEqualTo(OutcomeClass.SENT);
            server.freezeAll(); // packets dropped: the kept session hangs instead of closing
            SmtpOutcome silent = send(submitter, "grace@example.org");
            assertThat(silent.outcome()).isEqualTo(OutcomeClass.ENDPOINT_DOWN);
            assertThat(silent.step()).isEqualTo(SmtpStep.MAIL);
            assertThat(silent.detail()).contains("RSET");
            assertThat(submitter.openSessions()).isZero();
            server.reset();
            assertThat(send(submitter, "grace@example.org").outcome()).isEqualTo(OutcomeClass.SENT);
            assertThat(server.received()).extracting(r -> r.recipients().get(0)).containsExactly("grace@example.org");
        }
    }

    @Test
    void anEndpointThatRefusesConnectionsIsDownAtConnect() throws Exception {
        try (SmtpSubmitter submitter = pooled(2, 100, Duration.ofSeconds(30))) {
            assertThat(send(submitter, "ada@example.org").outcome()).isEqualTo(OutcomeClass.SENT);
            server.mode(TestSmtpServer.Mode.REFUSE);
            server.cutAll();
            SmtpOutcome down = send(submitter, "grace@example.org");
            assertThat(down.outcome()).isEqualTo(OutcomeClass.ENDPOINT_DOWN);
            assertThat(down.step()).isEqualTo(SmtpStep.CONNECT);
            server.mode(TestSmtpServer.Mode.UP);
            assertThat(send(submitter, "grace@example.org").outcome()).isEqualTo(OutcomeClass.SENT);
        }
    }

    @Test
    void aSessionThatMeetsAnUnexpectedExceptionIsDiscardedNeverLostToThePool() throws Exception {
        try (SmtpSubmitter submitter = pooled(1, 100, Duration.ofSeconds(30))) {
            for (int i = 0; i < 3; i++) {
                jakarta.mail.internet.MimeMessage broken = new jakarta.mail.internet.MimeMessage(
                        jakarta.mail.Session.getInstance(new java.util.Properties())) {
                    @Override
                    public void writeTo(java.io.OutputStream os, String[] ignoreList) {
                        throw new IllegalStateException("a bug while the body was written");
                    }
                };
                broken.setFrom(new jakarta.mail.internet.InternetAddress("noreply@shop.example"));
                broken.setText("x");
                SmtpOutcome o = submitter.submit(broken, List.of(new jakarta.mail.internet.InternetAddress(
                        "ada@example.org")), Long.MAX_VALUE);
                assertThat(o.outcome()).as("failed before the dot").isEqualTo(OutcomeClass.ENDPOINT_DOWN);
                assertThat(o.step()).isEqualTo(SmtpStep.DATA);
            }
            // with one session allowed, a session lost to the pool would make this wait for ever
            org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(10),
                    () -> assertThat(send(submitter, "ada@example.org").outcome()).isEqualTo(OutcomeClass.SENT));
            assertThat(server.received()).hasSize(1);
        }
    }

    @Test
    void aJobWaitsForAFreeSessionAtMostUntilItsTimeRunsOutAndTheEndpointIsNotBlamed() throws Exception {
        ExecutorService threads = Executors.newSingleThreadExecutor();
        try (SmtpSubmitter submitter = pooled(1, 100, Duration.ofSeconds(30))) {
            Future<SmtpOutcome> slow = threads.submit(() -> submitter.submit(slowMessage(), List.of(
                    new jakarta.mail.internet.InternetAddress("ada@example.org")), Long.MAX_VALUE));
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> submitter.openSessions() == 1);
            long start = System.nanoTime();
            SmtpOutcome waited = submitter.submit(message("grace@example.org"), List.of(
                    new jakarta.mail.internet.InternetAddress("grace@example.org")),
                    System.nanoTime() + Duration.ofMillis(1500).toNanos());
            long took = (System.nanoTime() - start) / 1_000_000;
            assertThat(waited.outcome()).isEqualTo(OutcomeClass.ENDPOINT_DOWN);
            assertThat(waited.local()).as("no session of this pod came free: not the endpoint's failure").isTrue();
            assertThat(waited.detail()).contains("max-connections");
            assertThat(took).isBetween(1200L, 3000L);
            assertThat(slow.get().outcome()).isEqualTo(OutcomeClass.SENT);

            // with time enough, the next job gets the session when the slow one is done with it
            Future<SmtpOutcome> slowAgain = threads.submit(() -> submitter.submit(slowMessage(), List.of(
                    new jakarta.mail.internet.InternetAddress("ada@example.org")), Long.MAX_VALUE));
            Thread.sleep(500); // it has the only session now
            assertThat(submitter.submit(message("grace@example.org"), List.of(
                    new jakarta.mail.internet.InternetAddress("grace@example.org")),
                    System.nanoTime() + Duration.ofSeconds(20).toNanos()).outcome()).isEqualTo(OutcomeClass.SENT);
            assertThat(slowAgain.get().outcome()).isEqualTo(OutcomeClass.SENT);
        } finally {
            threads.shutdownNow();
        }
    }

    private static SubmissionMessage slowMessage() throws Exception {
        SubmissionMessage m = message("ada@example.org");
        m.setHeader("X-Test-Fault", "slow-dot-3000");
        m.saveChanges();
        return m;
    }

    private static SubmissionMessage message(String to) throws Exception {
        SubmissionMessage m = new SubmissionMessage(jakarta.mail.Session.getInstance(new java.util.Properties()),
                "<" + to + System.nanoTime() + "@test>");
        m.setFrom(new jakarta.mail.internet.InternetAddress("noreply@shop.example"));
        m.setSubject("hello");
        m.setText("hello");
        m.saveChanges();
        return m;
    }
}
