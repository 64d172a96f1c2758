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
        /**
         * How long a pass retries a record Kafka refused (a topic's {@code max.message.bytes} too low, no right to
         * write, the cluster unreachable) before its record is read again; it is then retried again, with only what
         * the pass still owes, so a job is never sent again because a write failed. Refusals are logged, counted
         * ({@code submission_kafka_write_failures_total}) and shown in the health group {@code kafka-writes}.
         */
        @WithDefault("3m")
        Duration writeRetryFor();

        /**
         * A write Kafka has neither acknowledged nor refused for this long is unanswered (CONTRACT 9.5): no new SMTP
         * session starts until the router's writes are answered again (a session waits up to {@code write-retry-for},
         * then its pass fails and its job is read again, unsent), readiness is DOWN, and the health group
         * {@code kafka-writes} names it. A producer with a write unanswered for its {@code delivery.timeout.ms} after
         * {@code send()} returned plus this (it would have reported any failure by then), or stuck inside
         * {@code send()} for its {@code max.block.ms} plus this, or whose network thread died, has stopped working and
         * is replaced; its writes are retried on the new one. Addition.
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

        /**
         * The longest a consumer waits for its relay group's rate to allow a message: the most a job of a group at
         * its rate holds up the jobs behind it on its partition. A job whose permit would come later waits in its
         * group's waiting topic instead, and comes back at the group's pace.
         */
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

        /**
         * Bound of all the lookups of one job, its domains asked at once: a domain not decided by then is unknown
         * (the job goes on; nothing is rejected for a silent resolver). Addition.
         */
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
        /**
         * Bearer token of the operator endpoints; they are disabled without it (and without {@link #tokenFile()}).
         * At least 32 characters, not a placeholder: start-up refuses a weak one.
         */
        Optional<String> token();

        /** File holding the token (a Kubernetes Secret mount), read on every request: rotation needs no restart. */
        Optional<String> tokenFile();
    }

    /**
     * How to reach and log in to a server: TLS, trust and AUTH. Set for a relay group, overridden per endpoint
     * ({@code <group>.primary.*}, {@code <group>.fallback.*}); an unset value falls back to the endpoint's group, and
     * TLS and trust of a group beyond {@code default} to {@code submission.smtp.*}. For the default group, for example:
     * {@code submission.smtp.username}, {@code submission.smtp.password}, {@code submission.smtp.primary.tls},
     * {@code submission.smtp.fallback.username}.
     */
    interface Access {
        /** AUTH user name; AUTH is used only when it is set. */
        Optional<String> username();

        /** AUTH password. */
        Optional<String> password();

        /**
         * {@code starttls}, {@code implicit} or {@code none} (needs {@code submission.smtp.allow-plaintext});
         * {@code starttls} when set nowhere. No {@code @WithDefault}: an unset value must stay unset, so that a group
         * or endpoint without it can take {@code submission.smtp.tls} ({@link RelaySettings}).
         */
        Optional<TlsMode> tls();

        /** PEM file of CA certificates to trust instead of the JVM's trust store. */
        Optional<String> trustPem();

        /**
         * SASL mechanisms AUTH may use, in order of preference (such as {@code PLAIN LOGIN}, or {@code XOAUTH2});
         * unset: the best the server offers of LOGIN, PLAIN, DIGEST-MD5 and NTLM, or XOAUTH2 with {@code oauth2}. Addition.
         */
        Optional<List<String>> authMechanisms();
    }

    /**
     * A relay group: {@code submission.relays.<name>.*}, and the {@code default} group {@code submission.smtp.*}.
     * Credentials are never taken from another group, so one provider's password never goes to another.
     */
    interface Relay extends Access {
        /**
         * The primary endpoint: {@code <group>.primary.host} (required) and {@code <group>.primary.port} (default
         * 587); for the default group {@code submission.smtp.primary.host} and {@code submission.smtp.primary.port}.
         */
        EndpointSettings primary();

        /**
         * The fallback endpoint: {@code <group>.fallback.host} (default: the primary host) and
         * {@code <group>.fallback.port} (default 2525); for the default group {@code submission.smtp.fallback.host}
         * and {@code submission.smtp.fallback.port}.
         */
        EndpointSettings fallback();

        /** Messages per second of the group for the whole consumer group; none when unset. */
        Optional<Double> rateLimit();

        /** OAuth2 client credentials for XOAUTH2 instead of a password. Addition. */
        OAuth2 oauth2();
    }

    /**
     * An OAuth2 client-credentials grant (RFC 6749 4.4) whose access token AUTH XOAUTH2 presents as the
     * {@code username}'s password, as Microsoft 365 requires now that it retires password AUTH for SMTP.
     * Tokens are kept and fetched again {@code refresh-before} their expiry. Addition.
     */
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

        /**
         * Verifies the server's host name against its certificate, in every relay group. {@code false} is refused
         * unless {@code allow-plaintext} is set too (a developer's laptop), and then logged as a WARN. Addition.
         */
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

        /**
         * A mail domain whose {@code _submission._tcp} SRV records (RFC 6186) name the default group's primary
         * and fallback endpoints, instead of {@code primary.host}. Looked up once at startup. Addition.
         */
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

        /**
         * {@code retention.ms} of the retry tier and waiting topics the router creates: how long a job's
         * personal data may stay there. Keep it above {@code max-age} plus the longest outage of the router.
         */
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

        /**
         * Bytes of a job's {@code metadata} as the router writes it (JSON, UTF-8); more is {@code INVALID} with
         * {@code TOO_LARGE}. Every result and completion record echoes the metadata, so this bounds their size
         * (CONTRACT 9.3) and what a replica keeps per job. Addition.
         */
        @WithDefault("65536")
        long maxMetadataBytes();

        /**
         * Domains a job's {@code from} may use (comma-separated, compared without case); when set, any other
         * sender is {@code INVALID} with {@code SENDER_NOT_ALLOWED}, so producers cannot send as anyone.
         */
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

        /**
         * Records per poll of the retries routes (the intake takes up to {@code in-flight}); they hand their jobs to
         * the jobs pool and poll on. Startup still checks that {@code max-poll-records} x ({@code job-timeout} +
         * {@code submission.kafka.write-retry-for}) fits {@code max-poll-interval-ms}.
         */
        @WithDefault("1")
        int maxPollRecords();

        /**
         * The longest one pass of a job may take, all its SMTP sessions together: every reply is waited for at most
         * until then (a server that answers each command just before its read timeout cannot hold a consumer for
         * longer). At least connect-timeout + read-timeout + data-timeout, so a slow reply to the final dot is
         * waited for as RFC 5321 allows. Addition.
         */
        @WithDefault("11m")
        Duration jobTimeout();

        /**
         * Kafka's {@code max.poll.interval.ms}: the longest a poll's records may take. No job waits on the
         * consumer thread (retries and waits go through Kafka topics), but one pass of a job may take up to
         * {@code job-timeout}, and its writes up to {@code submission.kafka.write-retry-for}.
         */
        @WithDefault("900000")
        int maxPollIntervalMs();

        /**
         * Kafka's {@code session.timeout.ms} of the intake and the retries routes: how long after a replica died
         * (SIGKILL, node lost) its partitions move to another. Kafka's default is 45 s; 10 s gets jobs moving
         * again sooner while riding out a long GC pause.
         */
        @WithDefault("10000")
        int sessionTimeoutMs();

        /**
         * Consumer group of this replica's control-topic consumer: one of its own per run (every replica reads
         * every operator command), reading from the beginning and committing nothing. Addition.
         */
        @WithDefault("${submission.consumer.group-id}-control-${quarkus.uuid}")
        String controlGroupId();
    }

    /** How many jobs a pod works on at once ({@code submission.concurrency.*}). Addition. */
    interface Concurrency {
        /**
         * The jobs one pod works on at once (CONTRACT 8.3), independent of the jobs topic's partitions: each runs on a
         * thread of the pod's jobs pool; jobs with the same key never at the same time, and a partition's offset is
         * committed only up to the first job in it that has not finished. While this many are in flight the intake
         * consumers pause (they keep polling, so no consumer is evicted).
         */
        @WithDefault("32")
        int inFlight();

        /** Bytes of job records (key and value) held by the jobs in flight at most; one job is always let in. Addition. */
        @WithDefault("67108864")
        long inFlightBytes();

        /**
         * Intake consumers per pod, each a Kafka consumer of the group with its own partitions, handing its records
         * to the jobs pool. More than the jobs topic's partitions leaves the extra ones idle (and ready).
         */
        @WithDefault("2")
        int consumers();

        /**
         * Kafka's {@code fetch.max.bytes} of each intake consumer: times {@code consumers}, the bound of job
         * bytes fetched and held in memory at once (a record larger than it is still fetched, alone).
         */
        @WithDefault("16777216")
        int fetchMaxBytes();
    }

    /** Sessions kept open per endpoint and reused ({@code submission.smtp.pool.*}). Addition. */
    interface Pool {
        /**
         * Sessions open at most per endpoint; 0 opens a new session for every message. The default lets every job in
         * flight ({@code submission.concurrency.in-flight}) and a retry have a session of its own.
         */
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

        /**
         * A kept session idle longer than this is checked with {@code RSET} before its next message (a session cut
         * while idle is then replaced at the cost of one round trip). One used more recently goes straight to
         * {@code MAIL}, whose reply is the check: if the server closed the session or announced its end (421) there,
         * the message goes on a new session; MAIL's reply is waited for read-timeout, as every reply but the dot's,
         * and silence is the endpoint down.
         * {@code 0s} checks every kept session. Addition.
         */
        @WithDefault("2s")
        Duration checkAfterIdle();
    }
}
