package io.submissionrouter.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Real infrastructure for the integration tests: an in-JVM KRaft Kafka broker and SMTP submission
 * servers with STARTTLS and AUTH on free loopback ports: the "587" primary and the "2525" fallback of the
 * default relay group, and one server for the second group, {@code bulk}.
 * Timings are short so breaker behaviour can be observed in seconds.
 */
public class RouterTestResources implements QuarkusTestResourceLifecycleManager {

    /** submission.smtp.pool.check-after-idle in tests: a kept session idle longer than this gets RSET first. */
    public static final java.time.Duration CHECK_AFTER_IDLE = java.time.Duration.ofSeconds(3);

    /** Bearer token of the operator endpoints in tests. */
    public static final String ADMIN_TOKEN = "test-admin-token-Hq7Lx2Vb9Rk4Wm8Zp3Ny";
    /** The router's log file in tests. */
    public static final String LOG_FILE = "target/router-test.log";

    private static EmbeddedKafka kafka;
    private static TestSmtpServer primary;
    private static TestSmtpServer fallback;
    private static TestSmtpServer bulk;
    private static FaultSmtpServer faulty;
    private static FaultSmtpServer healthy;
    private static FaultSmtpServer implicit;
    private static TestDnsServer dns;

    public static EmbeddedKafka kafka() {
        return kafka;
    }

    public static TestSmtpServer primary() {
        return primary;
    }

    public static TestSmtpServer fallback() {
        return fallback;
    }

    /** The one server behind both endpoints of the second relay group, {@code bulk}. */
    public static TestSmtpServer bulk() {
        return bulk;
    }

    /** The primary of the relay group {@code faults}: a server scripted to fail at any step (FaultMatrixTest). */
    public static FaultSmtpServer faulty() {
        return faulty;
    }

    /** The fallback of the relay group {@code faults}: well-behaved unless a test scripts it. */
    public static FaultSmtpServer healthy() {
        return healthy;
    }

    /** Both endpoints of the relay group {@code implicit}: TLS from the first byte, as on port 465. */
    public static FaultSmtpServer implicit() {
        return implicit;
    }

    /** RFC 6186 records naming the primary and fallback test servers, for submission.smtp.discover-domain=localhost. */
    public static final String SUBMISSION_SRV = "_submission._tcp.localhost";

    private static org.xbill.DNS.SRVRecord srv(int priority, int port) {
        try {
            return new org.xbill.DNS.SRVRecord(org.xbill.DNS.Name.fromString(SUBMISSION_SRV + "."),
                    org.xbill.DNS.DClass.IN, 300, priority, 0, port, org.xbill.DNS.Name.fromString("localhost."));
        } catch (org.xbill.DNS.TextParseException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public Map<String, String> start() {
        kafka = EmbeddedKafka.start();
        primary = TestSmtpServer.start("primary");
        fallback = TestSmtpServer.start("fallback");
        bulk = TestSmtpServer.start("bulk");
        faulty = FaultSmtpServer.startStartTls("faulty");
        healthy = FaultSmtpServer.startStartTls("healthy");
        implicit = FaultSmtpServer.startImplicitTls("implicit");
        // every domain has an MX, except these
        dns = TestDnsServer.start()
                .answer("gone.example", TestDnsServer.Answer.NXDOMAIN)
                .answer("no-mail.example", TestDnsServer.Answer.NULL_MX)
                .answer("nothing.example", TestDnsServer.Answer.NODATA)
                .answer("web-only.example", TestDnsServer.Answer.A_ONLY)
                .answer("silent.example", TestDnsServer.Answer.SILENT)
                .records(SUBMISSION_SRV, srv(10, primary.port()), srv(20, fallback.port()));
        Map<String, String> config = new HashMap<>();
        config.put("kafka.bootstrap.servers", kafka.bootstrapServers());
        config.put("camel.component.kafka.brokers", kafka.bootstrapServers());
        config.put("submission.smtp.primary.host", "127.0.0.1");
        config.put("submission.smtp.primary.port", String.valueOf(primary.port()));
        config.put("submission.smtp.fallback.port", String.valueOf(fallback.port()));
        config.put("submission.smtp.username", TestSmtpServer.USER);
        config.put("submission.smtp.password", TestSmtpServer.PASSWORD);
        config.put("submission.smtp.trust-pem", resource("/tls/smtp-ca.pem"));
        config.put("submission.relays.bulk.primary.host", "127.0.0.1");
        config.put("submission.relays.bulk.primary.port", String.valueOf(bulk.port()));
        config.put("submission.relays.bulk.fallback.port", String.valueOf(bulk.port()));
        config.put("submission.relays.bulk.username", TestSmtpServer.USER);
        config.put("submission.relays.bulk.password", TestSmtpServer.PASSWORD);
        config.put("submission.relays.faults.primary.host", "127.0.0.1");
        config.put("submission.relays.faults.primary.port", String.valueOf(faulty.port()));
        config.put("submission.relays.faults.fallback.port", String.valueOf(healthy.port()));
        config.put("submission.relays.faults.username", FaultSmtpServer.USER);
        config.put("submission.relays.faults.password", FaultSmtpServer.PASSWORD);
        config.put("submission.relays.implicit.primary.host", "127.0.0.1");
        config.put("submission.relays.implicit.primary.port", String.valueOf(implicit.port()));
        config.put("submission.relays.implicit.fallback.port", String.valueOf(implicit.port()));
        config.put("submission.relays.implicit.tls", "implicit");
        config.put("submission.relays.implicit.username", FaultSmtpServer.USER);
        config.put("submission.relays.implicit.password", FaultSmtpServer.PASSWORD);
        config.put("submission.smtp.write-timeout", "2s");
        config.put("submission.dns.servers", dns.address());
        config.put("submission.dns.timeout", "500ms");
        config.put("submission.smtp.connect-timeout", "1s");
        config.put("submission.smtp.read-timeout", "2s");
        config.put("submission.smtp.data-timeout", "8s");
        config.put("submission.breaker.window", "4");
        config.put("submission.breaker.open-duration", "2s");
        config.put("submission.breaker.probe-interval", "200ms");
        config.put("submission.retry.delays", "200ms,400ms");
        config.put("submission.retry.max-attempts", "3");
        config.put("submission.message-id-domain", "router.test");
        config.put("submission.admin.token", ADMIN_TOKEN);
        // every log line of the router in tests, to check that no credential ever reaches one
        config.put("quarkus.log.file.enabled", "true");
        config.put("quarkus.log.file.path", LOG_FILE);
        config.put("quarkus.log.file.level", "DEBUG");
        config.put("quarkus.log.category.\"io.submissionrouter\".level", "DEBUG");
        config.put("submission.consumer.max-poll-records", "10");
        // 10 x (20 s + 5 s) within max.poll.interval (15 min), and a slow dot (8 s) within a job's time
        config.put("submission.consumer.job-timeout", "20s");
        config.put("submission.kafka.write-retry-for", "5s");
        config.put("submission.smtp.pool.check-after-idle", CHECK_AFTER_IDLE.toSeconds() + "s");
        return config;
    }

    static String resource(String name) {
        try {
            return Path.of(RouterTestResources.class.getResource(name).toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void stop() {
        if (primary != null) {
            primary.close();
        }
        if (fallback != null) {
            fallback.close();
        }
        if (bulk != null) {
            bulk.close();
        }
        for (FaultSmtpServer f : new FaultSmtpServer[] {faulty, healthy, implicit}) {
            if (f != null) {
                f.close();
            }
        }
        if (dns != null) {
            dns.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }
}
