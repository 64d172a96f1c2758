package io.submissionrouter.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Every setting of the router, under {@code submission.*} (environment: {@code SUBMISSION_*}).
 * The names are the public contract (CONTRACT.md 1 and 5); additions are marked as such.
 * <p>
 * Over 300 lines because it declares every setting with its javadoc line, the settings table of the README in code.
 */
@ConfigMapping(prefix = "submission")
public interface SubmissionConfig {

    /** Kafka topic names. */
    Topics topics();

    /** The {@code default} relay group: its two submission endpoints and how to talk to them. */
    Smtp smtp();

    /** Circuit breaker settings, one breaker per endpoint. */
    Breaker breaker();

    /** Retry policy for transient and throttled outcomes. */
    Retry retry();

    /** Validation limits for incoming jobs. */
    Limits limits();

    /** Attempt events on the attempts topic. */
    Attempts attempts();

    /** CloudEvents attributes of the records the router writes. */
    @WithName("cloudevents")
    CloudEvents cloudEvents();

    /** Kafka consumer settings (addition to the contract). */
    Consumer consumer();

    /** Jobs in flight per pod. Addition. */
    Concurrency concurrency();

    /** How the router's writes to Kafka are retried when Kafka refuses them. Addition. */
    Kafka kafka();

    interface Kafka {
        /** How long a pass retries a write Kafka refused before its record is read again (nothing is sent twice). */
        @WithDefault("3m")
        Duration writeRetryFor();

        /**
         * A write unanswered this long stops new SMTP sessions and readiness (CONTRACT 9.5); a producer is replaced
         * when a write is unanswered this long past {@code delivery.timeout.ms} or {@code max.block.ms}.
         */
        @WithDefault("30s")
        Duration ackTimeout();
    }

    /** Duplicate suppression by jobId (CONTRACT 5.4); accepted, acting with the reliability work. */
    Idempotency idempotency();

    /** Recipient domain checks in DNS (CONTRACT 6); accepted, acting with the input-validation work. */
    Dns dns();

    /** Operator endpoints (CONTRACT 7). */
    Admin admin();

    /**
     * How a relay group keeps to its rate and slows down when its provider throttles it (CONTRACT 5.2
     * {@code throttled}, 5.3 step 5). Addition.
     */
    Throttle throttle();

    interface Throttle {
        /** Time without a throttled answer after which a slowed-down group's rate doubles again. */
        @WithDefault("30s")
        Duration recoveryInterval();

        /** The floor, in messages per second per replica, that throttling slows a group down to. */
        @WithDefault("0.5")
        double minRate();

        /** Longest wait for a rate permit on the consumer; a job whose permit comes later goes to the waiting topic. */
        @WithDefault("20ms")
        Duration intakeWait();
    }

    /** Relay groups beyond {@code default} (CONTRACT 5.1). */
    Map<String, Relay> relays();

    /** Sender used for jobs without {@code from}; without it such jobs are {@code INVALID}. */
    Optional<String> defaultFrom();

    /** Right-hand side of every Message-ID: {@code <base32(sha256(jobId))@domain>}. */
    @WithDefault("smtp-submission-router.invalid")
    String messageIdDomain();

    interface Idempotency {
        /** How long a completed jobId is remembered. */
        @WithDefault("7d")
        Duration window();
    }

    interface Dns {
        /** {@code reject}, {@code warn} or {@code off}. */
        @WithDefault("reject")
        MxCheck mxCheck();

        /** Bound of one lookup, retries included. */
        @WithDefault("2s")
        Duration timeout();

        /** Resolvers to ask ({@code host:port}, comma-separated) instead of the system's. */
        Optional<List<String>> servers();

        /** Bound of all the lookups of one job: a domain not decided by then is unknown (job goes on). Addition. */
        @WithDefault("5s")
        Duration jobTimeout();

        /** Lookups under way at once, for all jobs of the replica (Camel's thread pool "DnsLookups"). Addition. */
        @WithDefault("16")
        int parallelism();
    }

    /** What a recipient domain that cannot receive mail does to a job. */
    enum MxCheck {
        /** The job is {@code INVALID} with {@code NO_MX}. */
        REJECT,
        /** Logged and counted; the job is sent anyway. */
        WARN,
        /** No DNS check. */
        OFF
    }

    interface Admin {
        /** Bearer token of the operator endpoints, disabled without it; at least 32 characters, not a placeholder. */
        Optional<String> token();

        /** File holding the token (a Kubernetes Secret mount), read on every request: rotation needs no restart. */
        Optional<String> tokenFile();
    }

    /**
     * TLS, trust and AUTH of a group, overridden per endpoint; unset falls back to the group, then (TLS and trust) to
     * {@code submission.smtp.*}. E.g. {@code submission.smtp.username}, {@code submission.smtp.password},
     * {@code submission.smtp.primary.tls}, {@code submission.smtp.fallback.username}.
     */
    interface Access {
        /** AUTH user name; AUTH is used only when it is set. */
        Optional<String> username();

        /** AUTH password. */
        Optional<String> password();

        /** {@code starttls} (if set nowhere), {@code implicit} or {@code none} (needs allow-plaintext); no default. */
        Optional<TlsMode> tls();

        /** PEM file of CA certificates to trust instead of the JVM's trust store. */
        Optional<String> trustPem();

        /** SASL mechanisms AUTH may use, in order; unset: the best offered, or XOAUTH2 with oauth2. Addition. */
        Optional<List<String>> authMechanisms();
    }

    /**
     * A relay group: {@code submission.relays.<name>.*}, and the {@code default} group {@code submission.smtp.*}.
     * Credentials are never taken from another group, so one provider's password never goes to another.
     */
    interface Relay extends Access {
        /** {@code submission.smtp.primary.host} (required) and {@code submission.smtp.primary.port} (587). */
        EndpointSettings primary();

        /** {@code submission.smtp.fallback.host} (the primary's) and {@code submission.smtp.fallback.port} (2525). */
        EndpointSettings fallback();

        /** Messages per second of the group for the whole consumer group; none when unset. */
        Optional<Double> rateLimit();

        /** OAuth2 client credentials for XOAUTH2 instead of a password. Addition. */
        OAuth2 oauth2();
    }

    /** An OAuth2 client-credentials grant (RFC 6749 4.4) whose token XOAUTH2 presents for username. Addition. */
    interface OAuth2 {
        /** The token endpoint, such as {@code https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token}. */
        Optional<String> tokenUrl();

        /** The application's client id. */
        Optional<String> clientId();

        /** The application's client secret (sent in the request body, {@code client_secret_post}). */
        Optional<String> clientSecret();

        /** Scopes to ask for, such as {@code https://outlook.office365.com/.default}. */
        Optional<List<String>> scope();

        /** A token is fetched again this long before it expires. */
        @WithDefault("60s")
        Duration refreshBefore();
    }

    interface Topics {
        /** Email jobs, one per record, key = jobId. */
        @WithDefault("email.jobs")
        String jobs();

        /** One terminal result per job. */
        @WithDefault("email.results")
        String results();

        /** One event per SMTP session tried. */
        @WithDefault("email.attempts")
        String attempts();

        /** Original bytes of every INVALID, unreadable or exhausted job. */
        @WithDefault("email.dlq")
        String dlq();

        /** Prefix of the retry tiers and waiting topics (durable retries: see README, "Roadmap"). */
        @WithDefault("email.jobs.retry")
        String retry();

        /** Compacted operator commands. */
        @WithDefault("email.control")
        String control();

        /** Compacted completed jobIds. */
        @WithDefault("email.jobs.completed")
        String idempotency();
    }

    /** The {@code default} relay group, and the settings of every group's sessions. */
    interface Smtp extends Relay {
        /** File holding the user name (Kubernetes Secret mount); re-read when it changes. Addition. */
        Optional<String> usernameFile();

        /** File holding the password (Kubernetes Secret mount); re-read when it changes. Addition. */
        Optional<String> passwordFile();

        /** Allows {@code tls=none}: for a developer's laptop, never for production. */
        @WithDefault("false")
        boolean allowPlaintext();

        /** Checks servers' host names against their certificates; false needs allow-plaintext. Addition. */
        @WithDefault("true")
        boolean verifyIdentity();

        /** TCP connect timeout. */
        @WithDefault("5s")
        Duration connectTimeout();

        /** Timeout of every reply except the one after the final dot. */
        @WithDefault("30s")
        Duration readTimeout();

        /** Timeout of the reply after the final dot (RFC 5321 4.5.3.2.6 allows 10 minutes). */
        @WithDefault("10m")
        Duration dataTimeout();

        /** Timeout of writes to the server. Addition. */
        @WithDefault("30s")
        Duration writeTimeout();

        /** Name sent with EHLO; the local host name when unset. Addition. */
        Optional<String> ehloName();

        /** Sessions kept open per endpoint and reused. Addition. */
        Pool pool();

        /** Domain whose {@code _submission._tcp} SRV records (RFC 6186) name the endpoints at start. Addition. */
        Optional<String> discoverDomain();
    }

    /** Settings of one endpoint; unset values fall back to the group's. */
    interface EndpointSettings extends Access {
        /** Host name or address. */
        Optional<String> host();

        /** Port. */
        Optional<Integer> port();
    }

    interface Breaker {
        /** Calls considered (count-based sliding window). */
        @WithDefault("10")
        int window();

        /** Share of failed calls in the window that opens the breaker. */
        @WithDefault("0.5")
        double failureRatio();

        /** Time an open breaker waits before it lets a probe through. */
        @WithDefault("30s")
        Duration openDuration();

        /** Calls let through while half-open. */
        @WithDefault("1")
        int halfOpenProbes();

        /** Overrides for the primary's breaker. */
        BreakerOverride primary();

        /** Overrides for the fallback's breaker. */
        BreakerOverride fallback();

        /** How often idle half-open endpoints are probed (addition). */
        @WithDefault("1s")
        Duration probeInterval();
    }

    interface BreakerOverride {
        /** Window override. */
        Optional<Integer> window();

        /** Failure ratio override. */
        Optional<Double> failureRatio();

        /** Open duration override. */
        Optional<Duration> openDuration();

        /** Half-open probes override. */
        Optional<Integer> halfOpenProbes();
    }

    interface Retry {
        /** Delay tiers: attempt n waits delays[min(n, last)]. */
        @WithDefault("30s,2m,10m,30m,1h")
        List<Duration> delays();

        /** Transient and throttled outcomes allowed before {@code FAILED}. */
        @WithDefault("5")
        int maxAttempts();

        /** A job's whole life; older jobs end {@code FAILED} with {@code EXPIRED}. */
        @WithDefault("24h")
        Duration maxAge();

        /** Resend after an uncertain outcome (same Message-ID) instead of reporting {@code UNCERTAIN}. */
        @WithDefault("true")
        boolean resendUncertain();

        /** {@code retention.ms} of the retry and waiting topics; keep it above {@code max-age} plus an outage. */
        @WithDefault("7d")
        Duration retention();
    }

    interface Limits {
        /** Recipients across to, cc and bcc. */
        @WithDefault("100")
        int maxRecipients();

        /** Size of the encoded message in bytes. */
        @WithDefault("10485760")
        long maxMessageBytes();

        /** Attachments per job (addition). */
        @WithDefault("50")
        int maxAttachments();

        /** Bytes of a job's metadata as JSON; more is TOO_LARGE; bounds records echoing it (9.3). Addition. */
        @WithDefault("65536")
        long maxMetadataBytes();

        /** Domains {@code from} may use (no case); when set, others are {@code SENDER_NOT_ALLOWED}. */
        Optional<Set<String>> allowedFromDomains();
    }

    interface Attempts {
        /** Publish attempt events. */
        @WithDefault("true")
        boolean enabled();
    }

    interface CloudEvents {
        /** {@code ce_source} of every record written. */
        @WithDefault("smtp-submission-router")
        String source();
    }

    interface Consumer {
        /** Kafka consumer group of the router. */
        @WithDefault("smtp-submission-router")
        String groupId();

        /** Records per poll of the retries routes; times (job-timeout + write-retry-for) within max-poll-interval. */
        @WithDefault("1")
        int maxPollRecords();

        /** Longest pass of a job, all sessions; at least connect-timeout + read-timeout + data-timeout. */
        @WithDefault("11m")
        Duration jobTimeout();

        /** Kafka's {@code max.poll.interval.ms}, in milliseconds: the longest a poll's records may take. */
        @WithDefault("900000")
        int maxPollIntervalMs();

        /** Kafka's {@code session.timeout.ms}, in milliseconds: when a dead replica's partitions move on. */
        @WithDefault("10000")
        int sessionTimeoutMs();

        /** Group of this replica's control consumer, its own per run so every replica reads every command. */
        @WithDefault("${submission.consumer.group-id}-control-${quarkus.uuid}")
        String controlGroupId();
    }

    /** How many jobs a pod works on at once ({@code submission.concurrency.*}). Addition. */
    interface Concurrency {
        /** Jobs one pod works on at once (CONTRACT 8.3), same key never together; at this many, intake pauses. */
        @WithDefault("32")
        int inFlight();

        /** Bytes of job records (key and value) held by the jobs in flight at most; one job is always let in. */
        @WithDefault("67108864")
        long inFlightBytes();

        /** Intake consumers per pod, each with its own partitions; more than the partitions stay idle. */
        @WithDefault("2")
        int consumers();

        /** Kafka's {@code fetch.max.bytes} per intake consumer: times {@code consumers}, the job bytes fetched. */
        @WithDefault("16777216")
        int fetchMaxBytes();
    }

    /** Sessions kept open per endpoint and reused ({@code submission.smtp.pool.*}). Addition. */
    interface Pool {
        /** Sessions open at most per endpoint; 0 opens one per message; at least in-flight avoids waits. */
        @WithDefault("40")
        int maxConnections();

        /** Messages one session carries before it is closed. */
        @WithDefault("100")
        int maxMessages();

        /** Age after which a session is not reused. */
        @WithDefault("5m")
        Duration maxAge();

        /** An idle session is closed after this (servers close idle sessions too, RFC 5321 allows 5 minutes). */
        @WithDefault("30s")
        Duration idleTimeout();

        /** A kept session idle longer than this gets {@code RSET} before its message ({@code 0s}: every one). */
        @WithDefault("2s")
        Duration checkAfterIdle();
    }
}
