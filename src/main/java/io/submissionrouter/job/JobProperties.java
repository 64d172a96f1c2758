package io.submissionrouter.job;

/**
 * The exchange properties of a job's exchange, each named once (as camel-kafka's {@code KafkaConstants} names its
 * headers); routes read them as {@code ${exchangeProperty.<name>}}, beans bind them with {@code @ExchangeProperty}.
 * Headers are never state: only a Kafka record's key and value are input (CONTRACT 8.2). The one routing state is
 * the pass ({@link #PASS}): routes branch on {@code ${exchangeProperty.pass.next}} and no bean copies it elsewhere.
 */
public final class JobProperties {

    /** {@code SourceRecord}: what the intake took of a jobs-topic record. Set by the intake. */
    public static final String SOURCE = "sourceRecord";
    /** {@code RecordRef}: the record this exchange runs for, its pass kept till committed. Set by intake, dueRetries */
    public static final String RECORD = "kafkaRecord";
    /** String: the relay group whose retries route read the record. Set by routes/retries.yaml. */
    public static final String RETRY_GROUP = "retryGroup";
    /** {@code DeferredJob}: a job due again from a retry tier or waiting topic. */
    public static final String DEFERRED_JOB = "deferredJob";
    /** {@code Pass}: the pass of the job, the one routing state. Set by jobIntake (read, resume). */
    public static final String PASS = "pass";
    /**
     * {@code Endpoint} whose breaker granted this pass a permission no session has settled yet. Set by
     * endpointSelector.choose, removed once the session's outcome is recorded, else given back by releaseUnused.
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
    /** String: the topic of the Kafka write unless a record names its own. Set by the route template kafka-write. */
    public static final String KAFKA_TOPIC = "kafkaTopic";
    /** Instant of the first refusal of the Kafka write being retried. Set by kafkaWrites. */
    public static final String FIRST_REFUSAL = "kafkaWriteRefusedAt";

    private JobProperties() {
    }
}
