package io.submissionrouter.relay;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.Startup;
import io.submissionrouter.results.Status;
import io.submissionrouter.smtp.OutcomeClass;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The metrics of CONTRACT 7, registered with Quarkus's Micrometer registry (Prometheus at /q/metrics). Each meter is
 * looked up in the registry once, then kept here by its tags: counting a job costs a map lookup, not a new meter id
 * with sorted tags and the registry's lookup.
 */
@ApplicationScoped
@Startup // its meters are on /q/metrics from the start, not from the first job's use of it
public class SubmissionMetrics {

    /** The relay label of jobs whose relay is not a configured group. */
    public static final String UNKNOWN = "unknown";

    private final MeterRegistry registry;
    /** The configured relay groups: the only relay labels (a job's relay is input until validated). */
    private final Set<String> relays;
    /** Meters already registered, by name and tag values. */
    private final Map<List<Object>, Meter> meters = new ConcurrentHashMap<>();

    public SubmissionMetrics(MeterRegistry registry, RelayGroups groups) {
        this.registry = registry;
        this.relays = Set.copyOf(groups.names());
        for (Endpoint e : groups.all()) {
            Gauge.builder("submission.breaker.state", e.breaker(), b -> b.stateCode())
                    .description("Breaker state per endpoint: 0 closed, 1 half-open, 2 open, 3 suspended")
                    .tags("relay", e.relay(), "endpoint", e.name())
                    .register(registry);
            for (OutcomeClass o : OutcomeClass.values()) {
                attemptCounter(e.relay(), e.name(), o);
            }
            sendTimer(e.relay(), e.name());
        }
        for (String relay : groups.names()) {
            for (Status s : Status.values()) {
                jobCounter(relay, s);
            }
        }
    }

    /** {@code submission_jobs_total{relay,status}}: one per terminal result. */
    public void job(String relay, Status status) {
        jobCounter(label(relay), status).increment();
    }

    /**
     * The relay label of a job: its group when configured, else {@value #UNKNOWN}. Labels come only from
     * configuration, so jobs naming other relays (each rejected UNKNOWN_RELAY) cannot grow the registry.
     */
    private String label(String relay) {
        return relay != null && relays.contains(relay) ? relay : UNKNOWN;
    }

    /** {@code submission_smtp_attempts_total{relay,endpoint,outcome}} and {@code submission_smtp_send_seconds}. */
    public void attempt(String relay, String endpoint, OutcomeClass outcome, long millis) {
        attemptCounter(relay, endpoint, outcome).increment();
        if (outcome != OutcomeClass.SKIPPED_OPEN) {
            sendTimer(relay, endpoint).record(Duration.ofMillis(millis));
        }
    }

    /**
     * {@code submission_deferred_total{relay,topic}} (addition): jobs written to a retry tier or a waiting
     * topic. Its rate per tier is the retry rate; per waiting topic, the rate of jobs parked by an outage.
     */
    public void deferred(String jobRelay, String topic) {
        String relay = label(jobRelay);
        counter("submission.deferred", "Jobs written to a retry tier or waiting topic", "relay", relay, "topic", topic)
                .increment();
    }

    /**
     * {@code submission_endpoint_control_total{relay,endpoint,action}} (addition): operator suspensions and
     * resumptions applied by this replica. The state itself is {@code submission_breaker_state} 3.
     */
    public void control(String commandRelay, String endpoint, String action) {
        String relay = label(commandRelay);
        counter("submission.endpoint.control", "Operator commands applied, by endpoint and action", "relay", relay,
                "endpoint", endpoint, "action", action).increment();
    }

    /**
     * {@code submission_rate_limited_total{relay}} (addition): jobs whose group's rate had no permit for them
     * within {@code submission.throttle.intake-wait}, sent to wait in the group's waiting topic.
     */
    public void rateLimited(String jobRelay) {
        String relay = label(jobRelay);
        counter("submission.rate.limited", "Jobs sent to their group's waiting topic by its rate limit", "relay", relay)
                .increment();
    }

    /** {@code submission_dns_checks_total{result}} (addition): recipient domains checked, by verdict. */
    public void dnsCheck(io.submissionrouter.dns.MailDomainVerdict.Kind kind) {
        counter("submission.dns.checks", "Recipient domains checked in DNS, by verdict", "result",
                kind.name().toLowerCase(Locale.ROOT)).increment();
    }

    private Counter jobCounter(String relay, Status status) {
        return counter("submission.jobs", "Jobs by terminal status", "relay", relay, "status", status.name());
    }

    private Counter attemptCounter(String relay, String endpoint, OutcomeClass outcome) {
        return counter("submission.smtp.attempts", "SMTP sessions by outcome class", "relay", relay, "endpoint",
                endpoint, "outcome", outcome.name().toLowerCase(Locale.ROOT));
    }

    private Timer sendTimer(String relay, String endpoint) {
        return meter(List.of("submission.smtp.send", relay, endpoint), () -> Timer.builder("submission.smtp.send")
                .description("Duration of SMTP sessions")
                .tags("relay", relay, "endpoint", endpoint).publishPercentileHistogram()
                .register(registry), Timer.class);
    }

    private Counter counter(String name, String description, String... tags) {
        return meter(List.of(name, List.of(tags)), () -> Counter.builder(name).description(description).tags(tags)
                .register(registry), Counter.class);
    }

    private <M extends Meter> M meter(List<Object> key, Supplier<M> register, Class<M> type) {
        Meter m = meters.get(key);
        if (m == null) {
            m = meters.computeIfAbsent(key, k -> register.get());
        }
        return type.cast(m);
    }
}
