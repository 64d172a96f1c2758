package io.submissionrouter.routing;

import io.quarkus.runtime.StartupEvent;
import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.dns.CamelDnsLookup;
import io.submissionrouter.dns.MailDomainVerdict;
import io.submissionrouter.dns.MailDomains;
import io.submissionrouter.job.JobProperties;
import io.submissionrouter.job.JobRejection;
import io.submissionrouter.pass.Pass;
import io.submissionrouter.relay.SubmissionMetrics;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Named;
import jakarta.mail.internet.InternetAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import org.apache.camel.CamelContext;
import org.apache.camel.ExchangeProperty;
import org.apache.camel.builder.ThreadPoolProfileBuilder;
import org.apache.camel.util.concurrent.ThreadPoolRejectedPolicy;
import org.jboss.logging.Logger;

/**
 * The recipient-domain check of CONTRACT 6, before a new job is routed: every recipient's domain must be able
 * to receive mail ({@link MailDomains}). With {@code submission.dns.mx-check=reject} a domain that cannot makes
 * the job {@code INVALID} with {@code NO_MX}, naming the recipient and why; with {@code warn} it is logged and
 * counted and the job goes on; {@code off} asks nothing. An unknown answer (timeout, server failure) never
 * rejects.
 */
@ApplicationScoped
@Named("recipientDomains")
public class RecipientDomains {

    private static final Logger LOG = Logger.getLogger(RecipientDomains.class);

    private final SubmissionConfig.Dns settings;
    private final SubmissionMetrics metrics;
    private final CamelContext camel;
    private volatile MailDomains domains;
    private ExecutorService pool;

    public RecipientDomains(SubmissionConfig config, SubmissionMetrics metrics, CamelContext camel) {
        this.settings = config.dns();
        this.metrics = metrics;
        this.camel = camel;
    }

    void configure(@Observes StartupEvent event) throws UnknownHostException {
        if (settings.mxCheck() != SubmissionConfig.MxCheck.OFF) {
            CamelDnsLookup.configure(settings.servers().orElse(List.of()), settings.timeout());
            LOG.infof("recipient domains checked in DNS (%s) against %s, %s per domain, %s per job, %d lookups at once",
                    settings.mxCheck().name().toLowerCase(Locale.ROOT), settings.servers().map(Object::toString)
                            .orElse("the system's resolvers"), settings.timeout(), settings.jobTimeout(),
                    settings.parallelism());
        }
    }

    public void check(@ExchangeProperty(JobProperties.PASS) Pass pass) {
        if (settings.mxCheck() == SubmissionConfig.MxCheck.OFF || pass.status() != null || pass.message() == null
                || !pass.toConclude()) {
            return;
        }
        Map<String, String> byDomain = byDomain(pass.message().envelope());
        Map<String, MailDomainVerdict> verdicts = domains().verdicts(byDomain.keySet(),
                Instant.now().plus(settings.jobTimeout()), pool());
        for (Map.Entry<String, String> e : byDomain.entrySet()) {
            MailDomainVerdict verdict = verdicts.get(e.getKey());
            metrics.dnsCheck(verdict.kind());
            if (verdict.kind() == MailDomainVerdict.Kind.NO_MX) {
                String why = "recipient " + e.getValue() + ": the domain " + e.getKey() + " " + verdict.reason();
                if (settings.mxCheck() == SubmissionConfig.MxCheck.REJECT) {
                    pass.rejectInput(new JobRejection(JobRejection.NO_MX, why));
                    return;
                }
                LOG.warnf("job %s: %s; sent anyway (submission.dns.mx-check=warn)", pass.jobId(), why);
            } else if (verdict.kind() == MailDomainVerdict.Kind.UNKNOWN) {
                LOG.infof("job %s: the domain %s could not be checked (%s); sent anyway", pass.jobId(),
                        e.getKey(), verdict.reason());
            }
        }
    }

    /** Each domain once, with the first recipient on it. */
    private static Map<String, String> byDomain(List<InternetAddress> recipients) {
        Map<String, String> domains = new LinkedHashMap<>();
        for (InternetAddress a : recipients) {
            String address = a.getAddress();
            domains.putIfAbsent(address.substring(address.lastIndexOf('@') + 1).toLowerCase(Locale.ROOT), address);
        }
        return domains;
    }

    /**
     * Camel's pool the lookups run on: {@code submission.dns.parallelism} threads and a bounded queue; a lookup
     * it has no room for is an unknown verdict (never a rejection, never a wait).
     */
    private synchronized ExecutorService pool() {
        if (pool == null) {
            int n = Math.max(1, settings.parallelism());
            pool = camel.getExecutorServiceManager().newThreadPool(this, "DnsLookups",
                    new ThreadPoolProfileBuilder("DnsLookups").poolSize(n).maxPoolSize(n).maxQueueSize(n * 64)
                            .rejectedPolicy(ThreadPoolRejectedPolicy.Abort).build());
        }
        return pool;
    }

    private MailDomains domains() {
        MailDomains d = domains;
        if (d == null) {
            d = new MailDomains(new CamelDnsLookup(camel.createProducerTemplate()), settings.timeout());
            domains = d;
        }
        return d;
    }
}
