package io.submissionrouter.dns;

import static org.assertj.core.api.Assertions.assertThat;

import io.submissionrouter.dns.MailDomainVerdict.Kind;
import io.submissionrouter.testing.TestDnsServer;
import io.submissionrouter.testing.TestDnsServer.Answer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.camel.CamelContext;
import org.awaitility.Awaitility;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * CONTRACT 6 against a real DNS server on a loopback port, through camel-dns: MX, A or AAAA as the implicit MX,
 * NXDOMAIN, NODATA, null MX, and a server that never answers (which never rejects and never takes longer than
 * the timeout).
 */
class MailDomainsTest {

    private static final Duration TIMEOUT = Duration.ofMillis(800);
    private static TestDnsServer dns;
    private static CamelContext camel;
    private static MailDomains domains;

    @BeforeAll
    static void start() throws Exception {
        dns = TestDnsServer.start()
                .answer("mail.example", Answer.MX)
                .answer("web-only.example", Answer.A_ONLY)
                .answer("v6-only.example", Answer.AAAA_ONLY)
                .answer("gone.example", Answer.NXDOMAIN)
                .answer("nothing.example", Answer.NODATA)
                .answer("no-mail.example", Answer.NULL_MX)
                .answer("broken.example", Answer.SERVFAIL)
                .answer("silent.example", Answer.SILENT);
        CamelDnsLookup.configure(List.of(dns.address()), TIMEOUT);
        camel = new DefaultCamelContext();
        // the router's own route, as it ships
        PluginHelper.getRoutesLoader(camel).loadRoutes(ResourceHelper.resolveResource(camel, "classpath:routes/dns.yaml"));
        camel.start();
        domains = new MailDomains(new CamelDnsLookup(camel.createProducerTemplate()), TIMEOUT);
    }

    @AfterAll
    static void stop() {
        camel.stop();
        dns.close();
    }

    @Test
    void aDomainWithAnMxReceivesMail() {
        assertThat(verdict("mail.example").kind()).isEqualTo(Kind.ACCEPTS_MAIL);
        assertThat(verdict("MAIL.example").kind()).isEqualTo(Kind.ACCEPTS_MAIL);
    }

    @Test
    void anAOrAaaaRecordIsTheImplicitMx() {
        assertThat(verdict("web-only.example").kind()).isEqualTo(Kind.ACCEPTS_MAIL);
        assertThat(verdict("v6-only.example").kind()).isEqualTo(Kind.ACCEPTS_MAIL);
    }

    @Test
    void noDomainNoAddressOrANullMxMeansNoMx() {
        assertThat(verdict("gone.example")).extracting(MailDomainVerdict::kind, MailDomainVerdict::reason)
                .containsExactly(Kind.NO_MX, "does not exist (NXDOMAIN)");
        assertThat(verdict("nothing.example")).extracting(MailDomainVerdict::kind, MailDomainVerdict::reason)
                .containsExactly(Kind.NO_MX, "has no MX and no A/AAAA record");
        assertThat(verdict("no-mail.example")).extracting(MailDomainVerdict::kind, MailDomainVerdict::reason)
                .containsExactly(Kind.NO_MX, "publishes a null MX (RFC 7505)");
    }

    @Test
    void aServerFailureOrNoAnswerNeverRejectsAndNeverTakesLongerThanTheTimeout() {
        assertThat(verdict("broken.example").kind()).isEqualTo(Kind.UNKNOWN);
        Instant start = Instant.now();
        assertThat(verdict("silent.example").kind()).isEqualTo(Kind.UNKNOWN);
        assertThat(Duration.between(start, Instant.now())).isLessThan(TIMEOUT.plusMillis(500));
    }

    @Test
    void asksAbsoluteNamesOnlyAndKeepsAnswersForTheirTtl() {
        verdict("cached.example");
        verdict("cached.example");
        assertThat(dns.queries("cached.example", "MX")).isEqualTo(1);
        assertThat(dns.queries("cached.example.cluster.local", "MX")).isZero();
    }

    /**
     * A job's domains are asked at once and all decided within the job's DNS budget: a hundred domains whose
     * resolver never answers cost the budget, not a hundred timeouts one after another (80 s here), and a domain
     * not decided by then is unknown, never rejected.
     */
    @Test
    void aJobsDomainsAreAskedAtOnceAndAllDecidedWithinItsBudget() {
        List<String> silent = IntStream.range(0, 100).mapToObj(i -> "silent-" + i + ".example").toList();
        silent.forEach(d -> dns.answer(d, Answer.SILENT));
        List<String> asked = Stream.concat(Stream.of("mail.example", "gone.example"), silent.stream()).toList();
        ExecutorService pool = camel.getExecutorServiceManager().newFixedThreadPool(this, "DnsLookups", 16);
        Instant start = Instant.now();
        Map<String, MailDomainVerdict> verdicts = domains.verdicts(asked, start.plusMillis(1500), pool);
        assertThat(Duration.between(start, Instant.now())).isLessThan(Duration.ofSeconds(3));
        assertThat(verdicts.keySet()).containsExactlyElementsOf(asked);
        assertThat(verdicts.get("mail.example").kind()).isEqualTo(Kind.ACCEPTS_MAIL);
        assertThat(verdicts.get("gone.example").kind()).isEqualTo(Kind.NO_MX);
        assertThat(silent).allSatisfy(d -> assertThat(verdicts.get(d).kind()).isEqualTo(Kind.UNKNOWN));
        // the abandoned lookups end by their own deadline; the other tests' lookups should not queue behind them
        camel.getExecutorServiceManager().shutdownGraceful(pool, 5000);
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(pool::isTerminated);
        Awaitility.await().pollDelay(Duration.ofMillis(1000)).atMost(Duration.ofSeconds(2)).until(() -> true);
    }

    @Test
    void anAddressLiteralNeedsNoDns() {
        assertThat(verdict("[192.0.2.1]").kind()).isEqualTo(Kind.ACCEPTS_MAIL);
    }

    /** One domain's verdict, decided within the lookup timeout (as {@link MailDomains#verdicts} bounds each one). */
    private static MailDomainVerdict verdict(String domain) {
        return domains.verdict(domain, Instant.now().plus(TIMEOUT));
    }
}
