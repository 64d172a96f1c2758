package io.submissionrouter.dns;

import io.submissionrouter.config.InvalidSettingException;
import io.submissionrouter.config.SrvDiscovery;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.xbill.DNS.Lookup;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * The submission endpoints a mail domain publishes as {@code _submission._tcp.<domain>} SRV records (RFC 6186),
 * asked of {@code submission.dns.servers} (or the system's resolvers) with dnsjava, the library under camel-dns:
 * this runs once while the router starts, before Camel does.
 * <p>
 * Order: lowest priority first, then highest weight (RFC 2782 draws among equal priorities by weight; a fixed
 * order keeps every replica on the same primary). A single record whose target is {@code .} means the domain
 * offers no submission service. A target outside the domain is refused: without DNSSEC a forged answer could
 * otherwise send the credentials to any host holding a valid certificate for its own name (RFC 6186 6).
 */
public final class SubmissionSrv implements SrvDiscovery {

    static final String SETTING = "submission.smtp.discover-domain";

    private final List<String> servers;
    private final Duration timeout;

    public SubmissionSrv(List<String> servers, Duration timeout) {
        this.servers = servers;
        this.timeout = timeout;
    }

    @Override
    public List<Target> find(String domain) {
        String service = "_submission._tcp." + absolute(domain);
        Lookup lookup;
        try {
            lookup = new Lookup(Name.fromString(service), Type.SRV);
            lookup.setResolver(CamelDnsLookup.resolver(servers, timeout));
        } catch (TextParseException e) {
            throw new InvalidSettingException(SETTING, "'" + domain + "' is not a domain name");
        } catch (UnknownHostException e) {
            throw new InvalidSettingException("submission.dns.servers", "unknown host: " + e.getMessage());
        }
        lookup.setSearchPath(List.of());
        lookup.setCache(null);
        Record[] answer = lookup.run();
        if (lookup.getResult() != Lookup.SUCCESSFUL || answer == null) {
            throw new InvalidSettingException(SETTING, "no SRV record for " + service + " ("
                    + lookup.getErrorString() + "); set submission.smtp.primary.host instead, or fix DNS");
        }
        return order(domain, Arrays.stream(answer).filter(SRVRecord.class::isInstance).map(SRVRecord.class::cast)
                .toList());
    }

    /** The targets of {@code records} in the order to use them, after the checks above. */
    static List<Target> order(String domain, List<SRVRecord> records) {
        String base = absolute(domain).toLowerCase(Locale.ROOT);
        if (records.isEmpty()) {
            throw new InvalidSettingException(SETTING, "_submission._tcp." + base + " has no SRV record");
        }
        if (records.size() == 1 && records.get(0).getTarget().equals(Name.root)) {
            throw new InvalidSettingException(SETTING, base + " publishes that it offers no submission service "
                    + "(an SRV target of '.')");
        }
        List<Target> targets = new ArrayList<>();
        records.stream()
                .filter(r -> !r.getTarget().equals(Name.root))
                .sorted(Comparator.comparingInt(SRVRecord::getPriority)
                        .thenComparing(Comparator.comparingInt(SRVRecord::getWeight).reversed()))
                .forEach(r -> {
                    String host = r.getTarget().toString(true).toLowerCase(Locale.ROOT);
                    if (!(host + ".").equals(base) && !(host + ".").endsWith("." + base)) {
                        throw new InvalidSettingException(SETTING, "the SRV target " + host + " is outside "
                                + base.substring(0, base.length() - 1) + "; without DNSSEC it cannot be trusted "
                                + "with credentials, set submission.smtp.primary.host to use it");
                    }
                    if (r.getPort() < 1) {
                        throw new InvalidSettingException(SETTING, "the SRV record of " + host + " has port 0");
                    }
                    Target t = new Target(host, r.getPort());
                    if (!targets.contains(t)) {
                        targets.add(t);
                    }
                });
        return List.copyOf(targets);
    }

    private static String absolute(String domain) {
        String d = domain.strip();
        return d.endsWith(".") ? d : d + ".";
    }
}
