package io.submissionrouter.job;

/**
 * The exchange properties of a job's exchange, each named once (as camel-kafka's {@code KafkaConstants} names its
 * headers). The routes in {@code routes/} read them as {@code ${exchangeProperty.<name>}}; the beans bind them with
 * {@code @ExchangeProperty}. Headers are never state: every route removes them before a record is shaped or a
 * message is sent, and only a Kafka record's key and value are input (CONTRACT 8.2).
 * <p>
 * One routing state: the pass ({@link #PASS}). The routes branch on what it says
 * ({@code ${exchangeProperty.pass.next}}: route, retry, wait or done; {@code ${exchangeProperty.pass.concluded}})
 * and no bean keeps a copy of it in another property.
 */
public final class JobProperties {

    /** {@code SourceRecord}: what the intake took of a jobs-topic record. Set by the intake. */
    public static final String SOURCE = "sourceRecord";
    /**
     * {@code RecordRef}: the Kafka record this exchange runs for (the jobs-topic record, or a retry tier's), the key
     * of the pass kept until that record is committed ({@code UnsettledPasses}). Set by the intake and the retries
     * routes (dueRetries).
     */
    public static final String RECORD = "kafkaRecord";
    /**
     * String: the relay group whose retries route read the record (the route's {@code relay} parameter). Set by the
     * retries routes (routes/retries.yaml).
     */
    public static final String RETRY_GROUP = "retryGroup";
    /** {@code DeferredJob}: a job due again from a retry tier or waiting topic. */
    public static final String DEFERRED_JOB = "deferredJob";
    /** {@code Pass}: the pass of the job, the one routing state. Set by jobIntake (read, resume). */
    public static final String PASS = "pass";
    /**
     * {@code Endpoint}: the endpoint whose breaker granted this pass a permission no session has settled
     * yet. Set by the deliver route (endpointSelector.choose), removed by the submit route once the session's outcome
     * is recorded; one left at the end of the pass is given back (endpointSelector.releaseUnused).
     */
    public static final String ENDPOINT = "endpoint";
    /** OpenTelemetry {@code Span} of the job's pass. Set by jobTraces.start. */
    public static final String SPAN = "jobSpan";
    /** String: why a DNS lookup found no answer (NXDOMAIN, NODATA, failure). Set by the dns-lookup route. */
    public static final String DNS_ERROR = "dnsError";
    /** List of the records of the pass's batched write not acknowledged yet. Set by kafkaRecords (results.yaml). */
    public static final String OUTGOING = "kafkaRecords.outgoing";
    /** Set of the topics whose records a refused write left unacknowledged. Set by kafkaRecords. */
    public static final String REFUSED_TOPICS = "kafkaRecords.refusedTopics";
    /**
     * String: the topic of the Kafka write, unless a record names its own. Set by the route template kafka-write, read
     * by the route kafka-send and by kafkaWrites (results.yaml).
     */
    public static final String KAFKA_TOPIC = "kafkaTopic";
    /** Instant of the first refusal of the Kafka write being retried. Set by kafkaWrites. */
    public static final String FIRST_REFUSAL = "kafkaWriteRefusedAt";

    private JobProperties() {
    }
}
