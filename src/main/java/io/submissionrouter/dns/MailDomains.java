package io.submissionrouter.dns;

import io.submissionrouter.dns.MailDomainVerdict.Kind;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;

/**
 * Decides whether a domain can receive mail from DNS answers (RFC 5321 5.1, RFC 7505): its MX records;
 * without any, its A or AAAA record as the implicit MX. A domain that does not exist, has neither, or
 * publishes a null MX cannot. A timeout or server failure decides nothing. All lookups of one domain share
 * one deadline, so a domain never costs more than {@code timeout}. Names are asked as absolute names, so no
 * search domain (as Kubernetes pods have) is ever appended.
 */
public final class MailDomains {

    /** One DNS lookup (camel-dns in the router), bounded by {@code within}. */
    @FunctionalInterface
    public interface Lookup {
        Answer lookup(String absoluteName, String type, Duration within);
    }

    /** What one lookup returned: records, or one of dnsjava's results. */
    public record Answer(Result result, Record[] records) {
        public static Answer of(Record[] records) {
            return new Answer(Result.FOUND, records);
        }

        public static Answer of(Result result) {
            return new Answer(result, new Record[0]);
        }
    }

    public enum Result {
        FOUND,
        /** NXDOMAIN. */
        HOST_NOT_FOUND,
        /** The name exists without records of the type (NODATA). */
        TYPE_NOT_FOUND,
        /** Timeout, SERVFAIL, unreachable resolver, or anything else. */
        FAILED
    }

    private final Lookup lookup;
    private final Duration timeout;

    public MailDomains(Lookup lookup, Duration timeout) {
        this.lookup = lookup;
        this.timeout = timeout;
    }

    /**
     * The verdicts of {@code domains}, in their order, asked at once on {@code pool} and all decided by
     * {@code deadline} (each domain also within {@code timeout}): a domain not decided by then, or that the pool
     * had no room for, is unknown. So a job's DNS costs at most its budget, however many domains it has and however
     * slow their resolvers are.
     */
    public Map<String, MailDomainVerdict> verdicts(Collection<String> domains, Instant deadline, Executor pool) {
        Instant each = Instant.now().plus(timeout);
        Instant bound = each.isBefore(deadline) ? each : deadline;
        Map<String, CompletableFuture<MailDomainVerdict>> asked = new LinkedHashMap<>();
        for (String domain : domains) {
            try {
                asked.put(domain, CompletableFuture.supplyAsync(() -> verdict(domain, bound), pool));
            } catch (RejectedExecutionException full) {
                asked.put(domain, CompletableFuture.completedFuture(new MailDomainVerdict(Kind.UNKNOWN, domain,
                        "no room to ask (submission.dns.parallelism lookups under way and their queue full)")));
            }
        }
        Map<String, MailDomainVerdict> verdicts = new LinkedHashMap<>();
        // one absolute end for all the waits (a small margin past the bound, by which each lookup ends by itself):
        // once it has passed, what is not decided is unknown at once
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(remaining(bound).toMillis() + 100);
        for (Map.Entry<String, CompletableFuture<MailDomainVerdict>> e : asked.entrySet()) {
            try {
                verdicts.put(e.getKey(), e.getValue().get(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS));
            } catch (TimeoutException | ExecutionException ex) {
                e.getValue().cancel(true);
                verdicts.put(e.getKey(), new MailDomainVerdict(Kind.UNKNOWN, e.getKey(),
                        "not decided within the job's DNS budget (submission.dns.job-timeout)"));
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                verdicts.put(e.getKey(), new MailDomainVerdict(Kind.UNKNOWN, e.getKey(), "interrupted"));
            }
        }
        return verdicts;
    }

    /** The verdict on {@code domain}, decided by {@code deadline}. */
    MailDomainVerdict verdict(String domain, Instant deadline) {
        String name = domain.toLowerCase(Locale.ROOT);
        String absolute = name.endsWith(".") ? name : name + ".";
        if (name.startsWith("[")) {
            return new MailDomainVerdict(Kind.ACCEPTS_MAIL, domain, null); // an address literal needs no DNS
        }
        if (remaining(deadline).isZero()) {
            return new MailDomainVerdict(Kind.UNKNOWN, domain, "no time left for the MX lookup");
        }
        Answer mx = lookup.lookup(absolute, "MX", remaining(deadline));
        return switch (mx.result()) {
            case FOUND -> nullMxOnly(mx.records())
                    ? new MailDomainVerdict(Kind.NO_MX, domain, "publishes a null MX (RFC 7505)")
                    : new MailDomainVerdict(Kind.ACCEPTS_MAIL, domain, null);
            case HOST_NOT_FOUND -> new MailDomainVerdict(Kind.NO_MX, domain, "does not exist (NXDOMAIN)");
            case FAILED -> new MailDomainVerdict(Kind.UNKNOWN, domain, "the MX lookup failed or timed out");
            case TYPE_NOT_FOUND -> implicitMx(domain, absolute, deadline);
        };
    }

    /** No MX: an A or AAAA record is the implicit MX. */
    private MailDomainVerdict implicitMx(String domain, String absolute, Instant deadline) {
        boolean failed = false;
        for (String type : new String[] {"A", "AAAA"}) {
            Duration left = remaining(deadline);
            if (left.isZero()) {
                return new MailDomainVerdict(Kind.UNKNOWN, domain, "no time left for the " + type + " lookup");
            }
            Answer a = lookup.lookup(absolute, type, left);
            if (a.result() == Result.FOUND) {
                return new MailDomainVerdict(Kind.ACCEPTS_MAIL, domain, null);
            }
            failed |= a.result() == Result.FAILED;
        }
        return failed ? new MailDomainVerdict(Kind.UNKNOWN, domain, "the A/AAAA lookup failed or timed out")
                : new MailDomainVerdict(Kind.NO_MX, domain, "has no MX and no A/AAAA record");
    }

    private static boolean nullMxOnly(Record[] records) {
        boolean any = false;
        for (Record r : records) {
            if (r instanceof MXRecord mx) {
                if (!mx.getTarget().equals(Name.root)) {
                    return false;
                }
                any = true;
            }
        }
        return any;
    }

    private static Duration remaining(Instant deadline) {
        Duration d = Duration.between(Instant.now(), deadline);
        return d.isNegative() ? Duration.ZERO : d;
    }
}
