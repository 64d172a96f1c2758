package io.submissionrouter.dns;

import io.submissionrouter.job.JobProperties;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.xbill.DNS.Cache;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.Lookup;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.SimpleResolver;

/**
 * DNS lookups through camel-dns ({@code dns:lookup}, behind the route {@value #ROUTE}), each bounded by its own
 * deadline: a lookup still running when the deadline passes is abandoned and counts as failed, so it never
 * holds the caller longer. camel-dns asks dnsjava's default resolver, which {@link #configure} points at
 * {@code submission.dns.servers} (or the system's), with a bounded cache that keeps answers for their TTL.
 */
public final class CamelDnsLookup implements MailDomains.Lookup {

    public static final String ROUTE = "direct:dns-lookup";
    /**
     * dnsjava's {@code Lookup.getErrorString()} for {@code Lookup.HOST_NOT_FOUND} (NXDOMAIN) and
     * {@code Lookup.TYPE_NOT_FOUND} (NODATA). camel-dns gives no structured signal: its lookup producer throws a plain
     * {@code CamelException} carrying that text and nothing else (not the {@code Lookup}, not its
     * {@code getResult()}), so the text is the signal; CamelDnsLookupTest holds dnsjava to these two texts. Any
     * other text ("try again", "unrecoverable error", or the failure itself: "timed out", "network error",
     * "SERVFAIL", ...) is a failed lookup.
     */
    static final String HOST_NOT_FOUND = "host not found";
    static final String TYPE_NOT_FOUND = "type not found";
    /** Answers kept at most (dnsjava keeps each for its TTL). */
    static final int CACHE_ENTRIES = 10_000;

    private final ProducerTemplate template;

    public CamelDnsLookup(ProducerTemplate template) {
        this.template = template;
    }

    /** Points dnsjava (and so camel-dns) at {@code servers} ({@code host:port}; empty: the system's). */
    public static void configure(List<String> servers, Duration timeout) throws UnknownHostException {
        Lookup.setDefaultResolver(resolver(servers, timeout));
        Lookup.setDefaultSearchPath(List.of());
        Cache cache = new Cache(DClass.IN);
        cache.setMaxEntries(CACHE_ENTRIES);
        Lookup.setDefaultCache(cache, DClass.IN);
    }

    /** A resolver asking {@code servers} ({@code host:port}; empty: the system's), each query bounded by {@code timeout}. */
    static Resolver resolver(List<String> servers, Duration timeout) throws UnknownHostException {
        Resolver resolver;
        if (servers.isEmpty()) {
            resolver = new ExtendedResolver();
        } else {
            Resolver[] each = new Resolver[servers.size()];
            for (int i = 0; i < each.length; i++) {
                String s = servers.get(i).strip();
                int colon = s.lastIndexOf(':');
                String host = colon < 0 ? s : s.substring(0, colon);
                int port = colon < 0 ? 53 : Integer.parseInt(s.substring(colon + 1));
                each[i] = new SimpleResolver(new InetSocketAddress(host, port));
            }
            resolver = new ExtendedResolver(each);
        }
        resolver.setTimeout(timeout);
        return resolver;
    }

    @Override
    public MailDomains.Answer lookup(String absoluteName, String type, Duration within) {
        Future<Exchange> answer = template.asyncSend(ROUTE, ex -> {
            ex.getIn().setHeader("dns.name", absoluteName);
            ex.getIn().setHeader("dns.type", type);
        });
        try {
            Exchange done = answer.get(Math.max(1, within.toMillis()), TimeUnit.MILLISECONDS);
            // the message of camel-dns' exception, which the route keeps (routes/dns.yaml)
            String error = done.getProperty(JobProperties.DNS_ERROR, String.class);
            if (error != null) {
                return MailDomains.Answer.of(result(error));
            }
            Object body = done.getException() == null ? done.getMessage().getBody() : null;
            return body instanceof Record[] records && records.length > 0 ? MailDomains.Answer.of(records)
                    : MailDomains.Answer.of(done.getException() == null ? MailDomains.Result.TYPE_NOT_FOUND
                            : MailDomains.Result.FAILED);
        } catch (TimeoutException | ExecutionException e) {
            answer.cancel(true);
            return MailDomains.Answer.of(MailDomains.Result.FAILED);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return MailDomains.Answer.of(MailDomains.Result.FAILED);
        }
    }

    /** The result of a lookup without an answer, from the text camel-dns reports (see {@link #HOST_NOT_FOUND}). */
    static MailDomains.Result result(String error) {
        return switch (error) {
            case HOST_NOT_FOUND -> MailDomains.Result.HOST_NOT_FOUND;
            case TYPE_NOT_FOUND -> MailDomains.Result.TYPE_NOT_FOUND;
            default -> MailDomains.Result.FAILED;
        };
    }
}
