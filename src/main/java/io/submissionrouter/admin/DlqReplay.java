package io.submissionrouter.admin;

import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.idempotency.CompletedJobs;
import io.submissionrouter.job.JobRejection;
import io.submissionrouter.kafka.KafkaClients;
import io.submissionrouter.kafka.Topics;
import io.submissionrouter.output.DeadLettersTooLarge;
import io.submissionrouter.pass.CompletedJob;
import io.submissionrouter.results.Status;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.camel.CamelContext;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.jboss.logging.Logger;

/**
 * Replays dead letters into the jobs topic: the dlq records written so far that match the request (by
 * {@code error.code}, by jobId, written since a time) go back to the jobs topic with their key and value byte
 * for byte, a header {@code replayed-from} ({@code <dlq>/<partition>/<offset>}) and a new timestamp, so
 * {@code submission.retry.max-age} counts afresh. The dlq itself is left as it is. Only what can succeed is
 * replayed, at most {@code limit} records a call:
 * <ul>
 * <li>a job's own fault (an {@code INVALID} code, {@link JobRejection#CODES}) only when the request names its code
 * or its jobId: replayed unchanged it would only come back {@code INVALID} and be dead-lettered again;</li>
 * <li>never a dead letter of a job that ran again since (its completion is newer: replayed already) or that was
 * delivered ({@code SENT} or {@code DUPLICATE});</li>
 * <li>never a dead letter replayed before (a compacted topic, the dead-letter topic's name with
 * {@value #MARKS_SUFFIX}, marks each replay once it is acknowledged, for twice {@code submission.retry.max-age}): a
 * second call while the first call's jobs are still in flight replays nothing again ({@code replayed-already});</li>
 * <li>of a jobId dead-lettered more than once, only its newest dead letter (as the job was last), the older ones
 * {@code superseded};</li>
 * <li>never a dead letter without its value ({@code TOO_LARGE_FOR_DLQ}): its original is on its source topic.</li>
 * </ul>
 * The dlq is read as a stream: the report lists the first {@value #LISTED} records it matched and counts the rest.
 * <p>
 * Over 300 lines because one call reads the dead letters and the replay marks to the same ends, decides each record,
 * writes and marks what it replays, and reports: the parts share the call's bounds (time, jobIds, limit) and its
 * read position, which a split would have to pass around.
 */
@ApplicationScoped
public class DlqReplay {

    /** Records listed in a report; the counts cover all. */
    static final int LISTED = 1000;
    /** Records replayed by a call that does not say how many. */
    public static final int DEFAULT_LIMIT = 1000;
    /** The most records one call may replay. */
    public static final int MAX_LIMIT = 100_000;
    /** The most distinct jobIds one call reads (about 100 bytes each in memory); more is refused. */
    static final int MAX_JOB_IDS = 200_000;
    /** The topic of replay marks is the dead-letter topic's name with this suffix. */
    public static final String MARKS_SUFFIX = ".replayed";
    /** Replays, or marks, written (and waited for) at once. */
    static final int BATCH = 500;
    /**
     * Bytes of replays written (and waited for) at once, beside {@link #BATCH}: the replays share the producer of the
     * jobs' writes, whose completions and results must not queue behind a replay long enough to count as unanswered
     * ({@code submission.kafka.ack-timeout}); a dead letter larger than this goes alone.
     */
    static final int BATCH_BYTES = 1024 * 1024;
    /** Bound of each read of the dead-letter topic to its end. */
    private static final Duration READ_WITHIN = Duration.ofMinutes(2);
    private static final Logger LOG = Logger.getLogger(DlqReplay.class);
    private static final Duration POLL = Duration.ofMillis(500);
    private static final String REPLAYED = "replayed";
    private static final String OVER_LIMIT = "over-limit";

    private final CamelContext camel;
    private final String dlq;
    private final String jobs;
    private final CompletedJobs completedJobs;
    private final ReplayWrites writes;
    /** The compacted topic of replayed dead letters (key {@code <partition>/<offset>}), so none is replayed twice. */
    private final String marks;
    private final Duration marksKeptFor;

    public DlqReplay(CamelContext camel, SubmissionConfig config, CompletedJobs completedJobs, ReplayWrites writes) {
        this.writes = writes;
        this.camel = camel;
        this.dlq = config.topics().dlq();
        this.marks = dlq + MARKS_SUFFIX;
        // a replayed job is in flight at most max-age (then it expires): its mark is needed that long, twice for margin
        this.marksKeptFor = config.retry().maxAge().multipliedBy(2);
        this.jobs = config.topics().jobs();
        this.completedJobs = completedJobs;
    }

    /** What to replay; empty lists match everything; at most {@code limit} records are replayed. */
    public record Request(List<String> errorCodes, List<String> jobIds, Instant since, boolean dryRun, int limit) {

        public Request(List<String> errorCodes, List<String> jobIds, Instant since, boolean dryRun) {
            this(errorCodes, jobIds, since, dryRun, DEFAULT_LIMIT);
        }

        boolean names(String errorCode, String jobId) {
            return (errorCodes != null && errorCodes.contains(errorCode)) || (jobIds != null && jobIds.contains(jobId));
        }
    }

    /**
     * One dead letter matched by a request, and what became of it: {@code replayed} (or would be, in a dry run,
     * whose report counts none replayed),
     * {@code no-value}, {@code input-fault} (not named by the request), {@code delivered}, {@code ran-again},
     * {@code replayed-already}, {@code superseded} (a newer dead letter of the job is replayed instead) or
     * {@code over-limit}.
     */
    public record Entry(String jobId, String errorCode, int partition, long offset, String outcome) {
    }

    /** What a request matched and, unless it was a dry run, replayed; {@code records} lists the first ones. */
    public record Report(String from, String to, boolean dryRun, int matched, int replayed, int skipped,
            boolean limitReached, List<Entry> records) {
    }

    public synchronized Report replay(Request request) throws InterruptedException, ExecutionException {
        Properties c = KafkaClients.consumer(camel);
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        List<Entry> listed = new ArrayList<>();
        int[] counts = new int[3]; // matched, replayed, skipped
        boolean[] limitReached = {false};
        Replays sent = request.dryRun() ? null : new Replays();
        String topicId = Topics.topicId(c, dlq);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(dlq, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(dlq, p.partition())).toList();
            // both passes read to the same ends: a dead letter written meanwhile waits for the next call
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            Map<Integer, Marks> replayedBefore = replayedBefore(c, topicId, consumer.beginningOffsets(partitions), ends);
            consumer.assign(partitions);
            // first pass: the newest dead letter of each jobId (a job dead-lettered again, or sent again with new
            // content under its jobId, is replayed as it was last, never as it was first)
            Map<String, String> newest = new HashMap<>();
            scan(consumer, partitions, ends, request, r -> {
                String jobId = header(r, "jobId");
                if (jobId != null) {
                    newest.put(jobId, r.partition() + "/" + r.offset());
                    if (newest.size() > MAX_JOB_IDS) {
                        throw new IllegalArgumentException("the dead letters matched name more than " + MAX_JOB_IDS
                                + " jobIds; narrow the request with since, errorCode or jobId");
                    }
                }
            });
            try {
                scan(consumer, partitions, ends, request, r -> {
                    counts[0]++;
                    String jobId = header(r, "jobId");
                    String at = r.partition() + "/" + r.offset();
                    Marks marked = replayedBefore.get(r.partition());
                    String outcome = marked != null && marked.has(r.offset()) ? "replayed-already"
                            : jobId != null && !at.equals(newest.getOrDefault(jobId, at)) ? "superseded"
                            : outcome(r, request, counts[1]);
                    if (outcome.equals(REPLAYED)) {
                        counts[1]++;
                        if (sent != null) {
                            ProducerRecord<byte[], byte[]> again = new ProducerRecord<>(jobs, r.key(), r.value());
                            again.headers().add("replayed-from",
                                    (dlq + "/" + r.partition() + "/" + r.offset()).getBytes(StandardCharsets.UTF_8));
                            sent.add(topicId + "/" + at, again);
                        }
                    } else {
                        counts[2]++;
                        limitReached[0] |= outcome.equals(OVER_LIMIT);
                    }
                    if (listed.size() < LISTED) {
                        listed.add(new Entry(jobId, header(r, "error.code"), r.partition(), r.offset(), outcome));
                    }
                });
            } finally {
                if (sent != null) {
                    sent.write();
                    // whatever stopped the pass, every replay Kafka acknowledged is marked: never replayed again
                    markAcknowledged(sent.acknowledged);
                }
            }
        }
        if (sent != null && sent.failure != null) {
            throw new ExecutionException("dlq replay: Kafka did not take every replay", sent.failure);
        }
        int matched = counts[0];
        int replayed = counts[1];
        int skipped = counts[2];
        LOG.infof("dlq replay %s: %d matched, %d %s to %s, %d skipped", request, matched, replayed,
                request.dryRun() ? "would be replayed" : "replayed", jobs, skipped);
        // a dry run replays nothing: its records say what would be ("replayed")
        return new Report(dlq, jobs, request.dryRun(), matched, request.dryRun() ? 0 : replayed, skipped,
                limitReached[0], List.copyOf(listed));
    }

    /** What becomes of a matched dead letter ({@link Entry#outcome()}). */
    private String outcome(ConsumerRecord<byte[], byte[]> r, Request request, int replayedSoFar) {
        String code = header(r, "error.code");
        String jobId = header(r, "jobId");
        if (DeadLettersTooLarge.CODE.equals(code)) {
            // no value to replay: the original is on its source topic while its retention lasts
            LOG.infof("dlq replay: %s/%d/%d (job %s) has no value (%s); not replayed, the original is %s-%s@%s",
                    dlq, r.partition(), r.offset(), jobId, DeadLettersTooLarge.CODE, header(r, "source.topic"),
                    header(r, "source.partition"), header(r, "source.offset"));
            return "no-value";
        }
        if (JobRejection.CODES.contains(code) && !request.names(code, jobId)) {
            return "input-fault";
        }
        Optional<CompletedJob> completed = jobId == null ? Optional.empty() : completedJobs.find(jobId);
        if (completed.isPresent() && (completed.get().status() == Status.SENT
                || completed.get().status() == Status.DUPLICATE)) {
            return "delivered";
        }
        if (completed.isPresent() && completed.get().completedAt().toEpochMilli() > r.timestamp()) {
            return "ran-again"; // replayed already (or sent again by its producer), and ended after this letter
        }
        return replayedSoFar >= request.limit() ? OVER_LIMIT : REPLAYED;
    }

    /**
     * The offsets of one partition of the dead-letter topic replayed before, as bits from the partition's first
     * offset: the memory is an eighth of a byte per dead letter the topic holds, whatever number was replayed.
     */
    private static final class Marks {
        private final long from;
        private final java.util.BitSet bits = new java.util.BitSet();

        Marks(long from) {
            this.from = from;
        }

        void add(long offset) {
            if (offset >= from && offset - from < Integer.MAX_VALUE) {
                bits.set((int) (offset - from));
            }
        }

        boolean has(long offset) {
            return offset >= from && offset - from < Integer.MAX_VALUE && bits.get((int) (offset - from));
        }
    }

    /**
     * The dead letters of this dead-letter topic (by its topic id: marks of a topic deleted and made again under the
     * same name do not count) replayed before, within the offsets it holds now; creates the topic of marks if needed.
     */
    private Map<Integer, Marks> replayedBefore(Properties client, String topicId, Map<TopicPartition, Long> beginnings,
            Map<TopicPartition, Long> ends) {
        Topics.ensure(client, List.of(marks), 1, Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, "compact,delete",
                TopicConfig.RETENTION_MS_CONFIG, String.valueOf(marksKeptFor.toMillis()),
                TopicConfig.SEGMENT_MS_CONFIG, String.valueOf(Math.max(60_000, marksKeptFor.toMillis() / 4))));
        Map<Integer, Marks> seen = new HashMap<>();
        beginnings.forEach((tp, from) -> seen.put(tp.partition(), new Marks(from)));
        String prefix = topicId + "/";
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(client, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(marks, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(marks, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            readToEnd(consumer, partitions, consumer.endOffsets(partitions), "the replay marks " + marks
                    + " could not be read within " + READ_WITHIN + "; nothing was replayed", r -> {
                        String key = r.key() == null ? "" : new String(r.key(), StandardCharsets.UTF_8);
                        String[] at = key.startsWith(prefix) && r.value() != null
                                ? key.substring(prefix.length()).split("/") : new String[0];
                        if (at.length == 2) {
                            try {
                                int partition = Integer.parseInt(at[0]);
                                long offset = Long.parseLong(at[1]);
                                Marks m = seen.get(partition);
                                if (m != null && offset < ends.getOrDefault(new TopicPartition(dlq, partition),
                                        Long.MAX_VALUE)) {
                                    m.add(offset);
                                }
                            } catch (NumberFormatException notAMark) {
                                // not written by the router: ignored
                            }
                        }
                    });
        }
        return seen;
    }

    /**
     * The replays of a call, written in batches of at most {@value #BATCH} records and {@value #BATCH_BYTES} bytes (a
     * larger dead letter alone) through the router's producer
     * ({@link ReplayWrites}); the mark keys of those Kafka acknowledged, and the first refusal.
     */
    private final class Replays {
        private final Map<String, ProducerRecord<byte[], byte[]>> batch = new LinkedHashMap<>();
        private final List<String> acknowledged = new ArrayList<>();
        private long batchBytes;
        private Exception failure;

        void add(String markKey, ProducerRecord<byte[], byte[]> replay) {
            long bytes = (replay.value() == null ? 0 : replay.value().length)
                    + (replay.key() == null ? 0 : replay.key().length);
            if (!batch.isEmpty() && batchBytes + bytes > BATCH_BYTES) {
                write();
            }
            batch.put(markKey, replay);
            batchBytes += bytes;
            if (batch.size() >= BATCH) {
                write();
            }
        }

        void write() {
            if (batch.isEmpty()) {
                return;
            }
            ReplayWrites.Written written = writes.write(List.copyOf(batch.values()));
            int i = 0;
            for (String key : batch.keySet()) {
                if (written.acknowledged()[i++]) {
                    acknowledged.add(key);
                }
            }
            if (failure == null) {
                failure = written.failure();
            }
            batch.clear();
            batchBytes = 0;
        }
    }

    /** Marks every replay Kafka acknowledged (keyed {@code <topicId>/<partition>/<offset>}), in batches. */
    private void markAcknowledged(List<String> acknowledged) {
        byte[] when = Instant.now().toString().getBytes(StandardCharsets.UTF_8);
        int unmarked = 0;
        Exception failure = null;
        for (int from = 0; from < acknowledged.size(); from += BATCH) {
            List<ProducerRecord<byte[], byte[]>> marked = acknowledged.subList(from,
                    Math.min(acknowledged.size(), from + BATCH)).stream().map(key -> new ProducerRecord<>(marks,
                            key.getBytes(StandardCharsets.UTF_8), when)).toList();
            ReplayWrites.Written written = writes.write(marked);
            for (boolean ok : written.acknowledged()) {
                unmarked += ok ? 0 : 1;
            }
            failure = failure != null ? failure : written.failure();
        }
        if (unmarked > 0) {
            LOG.errorf("dlq replay: %d replays could not be marked on %s (%s); a later call may replay them again, "
                    + "and their jobs then answer DUPLICATE", unmarked, marks, String.valueOf(failure));
        }
    }

    /**
     * Reads the dead letters the request matches, from {@code since} (or the beginning) to the end the topic had when
     * the pass began, within {@link #READ_WITHIN}.
     */
    private void scan(KafkaConsumer<byte[], byte[]> consumer, List<TopicPartition> partitions,
            Map<TopicPartition, Long> end, Request request, java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> each) {
        seekToStart(consumer, partitions, request.since());
        readToEnd(consumer, partitions, end, "the dead-letter topic " + dlq + " could not be read to its end within "
                + READ_WITHIN + "; what was replayed until then is marked as replayed", r -> {
                    if (matches(r, request)) {
                        each.accept(r);
                    }
                });
    }

    /** Hands {@code each} every record below {@code end}, from where the consumer stands, within {@link #READ_WITHIN}. */
    private static void readToEnd(KafkaConsumer<byte[], byte[]> consumer, List<TopicPartition> partitions,
            Map<TopicPartition, Long> end, String failure,
            java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> each) {
        long deadline = System.nanoTime() + READ_WITHIN.toNanos();
        while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException(failure);
            }
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL)) {
                if (r.offset() < end.get(new TopicPartition(r.topic(), r.partition()))) {
                    each.accept(r);
                }
            }
        }
    }

    private static void seekToStart(KafkaConsumer<byte[], byte[]> consumer, List<TopicPartition> partitions,
            Instant since) {
        if (since == null) {
            consumer.seekToBeginning(partitions);
            return;
        }
        Map<TopicPartition, Long> times = new HashMap<>();
        partitions.forEach(tp -> times.put(tp, since.toEpochMilli()));
        Map<TopicPartition, OffsetAndTimestamp> offsets = consumer.offsetsForTimes(times);
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
        for (TopicPartition tp : partitions) {
            OffsetAndTimestamp o = offsets.get(tp);
            consumer.seek(tp, o == null ? end.get(tp) : o.offset());
        }
    }

    private static boolean matches(ConsumerRecord<byte[], byte[]> r, Request request) {
        return within(request.errorCodes(), header(r, "error.code")) && within(request.jobIds(), header(r, "jobId"));
    }

    private static boolean within(List<String> wanted, String value) {
        return wanted == null || wanted.isEmpty() || (value != null && wanted.contains(value));
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
