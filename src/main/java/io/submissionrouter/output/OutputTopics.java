package io.submissionrouter.output;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.idempotency.CompletedJobs;
import io.submissionrouter.job.JobRejection;
import io.submissionrouter.job.MailAddresses;
import io.submissionrouter.job.MessageIds;
import io.submissionrouter.job.ValidJob;
import io.submissionrouter.kafka.Topics;
import io.submissionrouter.pass.SourceRecord;
import io.submissionrouter.relay.RelayGroups;
import io.submissionrouter.results.EndpointRef;
import io.submissionrouter.retry.RetryTopics;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.mail.internet.InternetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.camel.CamelContext;
import org.apache.camel.component.kafka.KafkaComponent;
import org.apache.kafka.common.config.TopicConfig;
import org.jboss.logging.Logger;

/**
 * The topics the router writes, sized for every record a job can lead to (CONTRACT 9.3). At startup
 * ({@link #prepare}) each topic's need is worked out from the limits ({@link RecordBounds} of the largest job they
 * let through: {@code max-recipients} recipients of the longest address, {@code max-metadata-bytes} of metadata, a
 * jobId of 200 characters, and a record as large as the jobs topic takes): the results, attempts and dead-letter
 * topics, the idempotency topic, the retry tiers and waiting topics are created with that {@code max.message.bytes}
 * when missing, and an existing one that takes less stops the intake from starting ({@link TopicTooSmallException}).
 * Every job is then checked against what the topics take ({@link #check}): one whose completion, result or attempt
 * events could not be written is {@code INVALID} with {@code TOO_LARGE} before any session. Its dead letter and retry
 * record are the job's own record with headers: their size is the record's, which the jobs topic took, and is looked
 * at where they are written ({@link #deadLetterBytes}, {@link #retryRecordBytes}).
 */
@ApplicationScoped
public class OutputTopics {

    /** How long topics just created may take to be described before the start fails. */
    private static final Duration CREATED_VISIBLE_WITHIN = Duration.ofSeconds(3);
    private static final Logger LOG = Logger.getLogger(OutputTopics.class);
    /** A jobId of 200 characters that JSON writes longest ({@code "} is escaped). */
    private static final String LONGEST_JOB_ID = "\"".repeat(200);
    /** An address of the most octets JSON writes longest (JobValidator refuses control characters). */
    private static final String LONGEST_ADDRESS = "\"".repeat(MailAddresses.MAX_ADDRESS_OCTETS);

    /** What a topic must take, the setting that names it, and which record needs that much. */
    record Need(String topic, String setting, long bytes, String why) {
    }

    private final SubmissionConfig.Topics names;
    private final SubmissionConfig.Limits limits;
    private final boolean attempts;
    private final String longestRelay;
    private final ObjectMapper mapper;
    private final RecordBounds bounds;
    private final RetryTopics retryTopics;
    private final CompletedJobs completedJobs;
    private final long batchSize;
    /** What each topic took at startup ({@code max.message.bytes}); empty before. */
    private volatile Map<String, Long> takes = Map.of();
    /** What the dead-letter topic must take (a dead letter of a record as large as the jobs topic takes); 0 before. */
    private volatile long deadLetterNeed;

    @Inject
    public OutputTopics(SubmissionConfig config, ObjectMapper mapper, RelayGroups groups, RetryTopics retryTopics,
            CompletedJobs completedJobs, CamelContext camel) {
        this(config, mapper, groups.names(), groups.all().stream()
                .map(e -> new EndpointRef(e.name(), e.spec().host(), e.spec().port())).toList(), retryTopics,
                completedJobs, producerBatchSize(camel));
    }

    /**
     * @param relays    the relay groups (the longest name is in the records of the largest job)
     * @param endpoints every endpoint of every group
     * @param batchSize the producer's {@code batch.size}: a topic takes at least one batch of the producer's
     */
    public OutputTopics(SubmissionConfig config, ObjectMapper mapper, Set<String> relays, List<EndpointRef> endpoints,
            RetryTopics retryTopics, CompletedJobs completedJobs, long batchSize) {
        this.names = config.topics();
        this.limits = config.limits();
        this.attempts = config.attempts().enabled();
        this.longestRelay = relays.stream().max(Comparator.comparingInt(String::length)).orElse("");
        this.mapper = mapper;
        this.bounds = new RecordBounds(mapper, config.cloudEvents().source(), endpoints,
                MessageIds.of("", config.messageIdDomain()));
        this.retryTopics = retryTopics;
        this.completedJobs = completedJobs;
        this.batchSize = batchSize;
    }

    /** The producer's {@code batch.size} ({@code camel.component.kafka.producer-batch-size}). */
    private static long producerBatchSize(CamelContext camel) {
        Integer size = camel.getComponent("kafka", KafkaComponent.class).getConfiguration().getProducerBatchSize();
        return size == null ? 16384 : size;
    }

    /**
     * Creates the missing topics with what they need, then reads what every topic takes.
     *
     * @param client Kafka client settings (brokers and security)
     * @param jobs   the jobs topic: its partitions, and what it takes (the broker's default while it does not exist)
     * @throws TopicTooSmallException when an existing topic takes less than it needs
     */
    public void prepare(Properties client, Topics.JobsTopic jobs) throws Exception {
        long jobsTakes = jobs.maxMessageBytes().isPresent() ? Long.parseLong(jobs.maxMessageBytes().get())
                : Topics.brokerMaxMessageBytes(client);
        List<Need> needs = needs(jobsTakes);
        for (Need n : needs) {
            if (n.topic().equals(names.results()) || n.topic().equals(names.attempts())
                    || n.topic().equals(names.dlq())) {
                Topics.ensure(client, List.of(n.topic()), jobs.partitions(),
                        Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(n.bytes())));
            }
        }
        retryTopics.create(client, jobs, need(needs, retryTopics.tiers().get(0)).bytes());
        completedJobs.createTopic(client, jobs.partitions(), need(needs, names.idempotency()).bytes());
        List<String> topics = needs.stream().map(Need::topic).toList();
        Map<String, Long> found = new HashMap<>(Topics.maxMessageBytes(client, topics));
        // a topic just created may take a moment to be described by every broker: asked again for a few seconds,
        // rather than failing the start (and waiting for the next attempt)
        for (long until = System.nanoTime() + CREATED_VISIBLE_WITHIN.toNanos();
                !found.keySet().containsAll(topics) && System.nanoTime() < until; ) {
            Thread.sleep(100);
            found.putAll(Topics.maxMessageBytes(client, topics));
        }
        for (Need n : needs) {
            Long t = found.get(n.topic());
            if (t == null) {
                throw new IllegalStateException("the topic " + n.topic() + " (" + n.setting() + ") does not exist");
            }
            if (t < n.bytes() && owned(n.topic()) && Topics.raiseMaxMessageBytes(client, n.topic(), t, n.bytes())) {
                found.put(n.topic(), n.bytes()); // one the router created itself, sized by an earlier version
                t = n.bytes();
            }
            if (t < n.bytes()) {
                throw new TopicTooSmallException(n.topic(), n.setting(), t, n.bytes(), n.why());
            }
        }
        takes = Map.copyOf(found);
        deadLetterNeed = need(needs, names.dlq()).bytes();
        LOG.infof("the router's topics take every record a job within its limits leads to: %s", needs.stream()
                .map(n -> n.topic() + " " + found.get(n.topic()) + " (needs " + n.bytes() + ")")
                .collect(Collectors.joining(", ")));
    }

    /**
     * What each topic must take: the records of the largest job the limits let through, and at least a batch of the
     * producer's ({@code batch.size}: several small records of a partition travel in one batch).
     */
    List<Need> needs(long jobsTakes) {
        RecordBounds.Sizes most = bounds.of(largestJob(longestRelay, limits.maxMetadataBytes(),
                limits.maxRecipients(), jobsTakes));
        String withinLimits = " of a job within the limits (submission.limits.max-recipients=" + limits.maxRecipients()
                + ", max-metadata-bytes=" + limits.maxMetadataBytes() + ")";
        String asLarge = " of a job as large as " + names.jobs() + " takes (" + jobsTakes + " bytes)";
        List<Need> needs = new ArrayList<>();
        needs.add(new Need(names.idempotency(), "submission.topics.idempotency",
                Math.max(batchSize, most.completion()), "a completion record" + withinLimits));
        needs.add(new Need(names.results(), "submission.topics.results", Math.max(batchSize, most.result()),
                "a result" + withinLimits));
        if (attempts) {
            needs.add(new Need(names.attempts(), "submission.topics.attempts", Math.max(batchSize, most.attempt()),
                    "an attempt event"));
        }
        needs.add(new Need(names.dlq(), "submission.topics.dlq", Math.max(batchSize, most.deadLetter()),
                "a dead letter" + asLarge + " with its headers"));
        for (String topic : retryTopics.all()) {
            needs.add(new Need(topic, "submission.topics.retry", Math.max(batchSize, most.deferred()),
                    "a retry record" + asLarge + " with the state of " + limits.maxRecipients() + " recipients"));
        }
        return needs;
    }

    /**
     * The largest job the limits let through, as its records see it: a jobId of 200 characters and each of the
     * {@code maxRecipients} addresses of the most octets, all of characters JSON escapes, and a record as large as
     * the jobs topic takes ({@code jobsTakes}).
     */
    static RecordBounds.JobShape largestJob(String relay, long maxMetadataBytes, int maxRecipients, long jobsTakes) {
        return new RecordBounds.JobShape(LONGEST_JOB_ID, relay, maxMetadataBytes,
                Collections.nCopies(maxRecipients, LONGEST_ADDRESS), 0, jobsTakes);
    }

    /** Topics only the router writes and reads (idempotency, retry tiers, waiting topics): it may resize them itself. */
    private boolean owned(String topic) {
        return topic.equals(names.idempotency()) || retryTopics.all().contains(topic);
    }

    private static Need need(List<Need> needs, String topic) {
        return needs.stream().filter(n -> n.topic().equals(topic)).findFirst().orElseThrow();
    }

    /**
     * Rejects a job whose records could not be written to the topics as they were at startup (CONTRACT 9.3): its
     * completion, result and attempt events, each at its largest.
     * <p>
     * Not its dead letter or retry record: they are the job's own record with headers, and their size is the record's.
     * A record larger than the topics were sized for is one the jobs topic took compressed (Kafka checks
     * {@code max.message.bytes} against the compressed batch) or took after it was raised. Rejecting it would not
     * help: {@code INVALID} writes the very same bytes as a dead letter. Such a job is sent; if it cannot be retried
     * it ends {@code FAILED} with {@code TOO_LARGE_TO_RETRY} (RetryTiers), and a dead letter of it that Kafka refuses
     * as too large goes without its value (DeadLettersTooLarge).
     */
    public void check(ValidJob job, SourceRecord source) throws JobRejection {
        Map<String, Long> t = takes;
        if (t.isEmpty()) {
            return; // not prepared: the intake has not started
        }
        RecordBounds.Sizes s = bounds(job, source);
        fits(t, "completion record", s.completion(), names.idempotency());
        fits(t, "result", s.result(), names.results());
        if (attempts) {
            fits(t, "attempt events", s.attempt(), names.attempts());
        }
    }

    /**
     * What the dead-letter topic must take: a dead letter of a record as large as the jobs topic took at startup, with
     * its headers (0 before {@link #prepare}). A dead letter larger than this is one of a record its producer
     * compressed, or one written to the jobs topic after it was raised.
     */
    public long deadLetterNeed() {
        return deadLetterNeed;
    }

    /** Upper bound of the dead letter of {@code source}, job {@code jobId} (null: unread), as a broker counts it. */
    public long deadLetterBytes(SourceRecord source, String jobId) {
        return bounds.deadLetter(length(source.key()), length(source.value()), jobId);
    }

    /**
     * Upper bound of the record on a retry tier or waiting topic of {@code source}, of relay group {@code relay}, with
     * {@code stateJsonBytes} of retry state, as a broker counts it.
     */
    public long retryRecordBytes(SourceRecord source, String relay, long stateJsonBytes) {
        return bounds.deferred(length(source.key()), length(source.value()), relay, stateJsonBytes);
    }

    /** The largest record every retry tier and waiting topic took at startup (after raising them); empty before. */
    public java.util.OptionalLong retryTakes() {
        Map<String, Long> t = takes;
        return retryTopics.all().stream().filter(t::containsKey).mapToLong(t::get).min();
    }

    private static long length(byte[] bytes) {
        return bytes == null ? 0 : bytes.length;
    }

    private static void fits(Map<String, Long> takes, String record, long bytes, String topic) throws JobRejection {
        Long max = takes.get(topic);
        if (max != null && bytes > max) {
            throw new JobRejection(JobRejection.TOO_LARGE, "the job's " + record + " could take up to " + bytes
                    + " bytes, more than " + topic + " takes (max.message.bytes " + max + ")");
        }
    }

    /** Upper bounds of the records {@code job}, read from {@code source}, can lead to. */
    public RecordBounds.Sizes bounds(ValidJob job, SourceRecord source) {
        return bounds.of(shape(job, source));
    }

    /** What {@code job} brings to its records. */
    private RecordBounds.JobShape shape(ValidJob job, SourceRecord source) {
        long metadata;
        try {
            metadata = mapper.writeValueAsBytes(job.job().metadata()).length;
        } catch (JsonProcessingException e) {
            metadata = Long.MAX_VALUE / 2; // a map of strings always serialises
        }
        return new RecordBounds.JobShape(job.job().jobId(), job.job().relay(), metadata,
                job.recipients().stream().map(InternetAddress::getAddress).toList(), length(source.key()),
                length(source.value()));
    }
}
