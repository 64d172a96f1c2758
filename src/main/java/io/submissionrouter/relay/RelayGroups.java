package io.submissionrouter.relay;

import io.submissionrouter.config.RelaySettings;
import io.submissionrouter.config.SessionSettings;
import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.config.TokenSource;
import io.submissionrouter.dns.SubmissionSrv;
import io.submissionrouter.smtp.SmtpSubmitter;
import io.submissionrouter.smtp.SubmissionMailSender;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import org.apache.camel.CamelContext;
import org.jboss.logging.Logger;

/** The relay groups and their endpoints, in the order the router asks them (primary, then fallback). */
@ApplicationScoped
public class RelayGroups {

    private static final Logger LOG = Logger.getLogger(RelayGroups.class);

    private final Map<String, List<Endpoint>> groups;

    public RelayGroups(SubmissionConfig config, TokenSource.Factory tokens, CamelContext camel) {
        ScheduledExecutorService writeTimeouts = writeTimeouts(camel);
        Map<String, List<Endpoint>> all = new TreeMap<>();
        SubmissionSrv discovery = new SubmissionSrv(config.dns().servers().orElse(List.of()), config.dns().timeout());
        List<SessionSettings> defaults = RelaySettings.defaultGroup(config, discovery, tokens);
        config.smtp().discoverDomain().ifPresent(domain -> LOG.infof("discovered from _submission._tcp.%s: %s",
                domain, defaults.stream().map(e -> e.name() + " " + e.host() + ":" + e.port()).toList()));
        all.put(RelaySettings.DEFAULT_RELAY, endpoints(config, defaults, writeTimeouts));
        config.relays().forEach((name, relay) -> all.put(name, endpoints(config, RelaySettings.relayGroup(config,
                name, relay, tokens), writeTimeouts)));
        this.groups = Collections.unmodifiableMap(all);
        // camel-mail's sender of each endpoint, for the submit route (javaMailSender=#smtp-<relay>-<endpoint>)
        all.values().forEach(group -> group.forEach(e -> camel.getRegistry().bind(e.sender(),
                new SubmissionMailSender(e.submitter()))));
        LOG.infof("relay groups: %s", all.keySet());
        int threads = config.concurrency().inFlight(); // the jobs in flight, fresh and retried alike
        int sessions = config.smtp().pool().maxConnections();
        if (sessions > 0 && sessions < threads) {
            LOG.warnf("submission.smtp.pool.max-connections (%d) is below the threads that may send to one endpoint "
                    + "at once (submission.concurrency.in-flight = %d): jobs will wait for a free session",
                    sessions, threads);
        }
    }

    /**
     * The one scheduler that times out the writes of every SMTP socket of the pod ({@code write-timeout}), from Camel's
     * thread pools: Angus Mail would otherwise start a timer thread for each socket. A write's timer is cancelled as
     * soon as the write is done, and a cancelled timer leaves the queue at once.
     */
    private static ScheduledExecutorService writeTimeouts(CamelContext camel) {
        ScheduledExecutorService timers = camel.getExecutorServiceManager().newScheduledThreadPool(RelayGroups.class,
                "SmtpWriteTimeouts", 1);
        if (timers instanceof ScheduledThreadPoolExecutor pool) {
            pool.setRemoveOnCancelPolicy(true);
        }
        return timers;
    }

    private static List<Endpoint> endpoints(SubmissionConfig config, List<SessionSettings> specs,
            ScheduledExecutorService writeTimeouts) {
        List<Endpoint> endpoints = new ArrayList<>();
        for (SessionSettings spec : specs) {
            SubmissionConfig.BreakerOverride o = spec.name().equals("primary")
                    ? config.breaker().primary() : config.breaker().fallback();
            SubmissionConfig.Breaker b = config.breaker();
            Breaker breaker = new Breaker(spec.label(), o.window().orElse(b.window()),
                    o.failureRatio().orElse(b.failureRatio()), o.openDuration().orElse(b.openDuration()),
                    o.halfOpenProbes().orElse(b.halfOpenProbes()));
            breaker.onStateTransition(t -> LOG.infof("breaker %s %s:%d %s", spec.label(), spec.host(), spec.port(), t));
            SubmissionConfig.Pool p = config.smtp().pool();
            SmtpSubmitter.PoolLimits limits = new SmtpSubmitter.PoolLimits(p.maxConnections(), p.maxMessages(),
                    p.maxAge(), p.idleTimeout(), p.checkAfterIdle());
            endpoints.add(new Endpoint(spec, new SmtpSubmitter(spec, limits, writeTimeouts), breaker));
        }
        return List.copyOf(endpoints);
    }

    /** Closes the sessions kept open with every endpoint. */
    @PreDestroy
    void close() {
        groups.values().forEach(list -> list.forEach(e -> e.submitter().close()));
    }

    public Set<String> names() {
        return groups.keySet();
    }

    /** The endpoints of a group in order; empty for an unknown group. */
    public List<Endpoint> group(String relay) {
        return groups.getOrDefault(relay, List.of());
    }

    /** Whether an endpoint of the group may admit calls now: its breaker is closed or half-open. */
    public boolean mayAdmit(String relay) {
        return group(relay).stream().anyMatch(e -> e.breaker().stateCode() <= Breaker.HALF_OPEN);
    }

    public List<Endpoint> all() {
        return groups.values().stream().flatMap(List::stream).toList();
    }

    public Endpoint endpoint(String relay, String name) {
        return group(relay).stream().filter(e -> e.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no endpoint " + relay + "/" + name));
    }
}
