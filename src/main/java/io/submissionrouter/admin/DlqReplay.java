package io.submissionrouter.admin;

import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.kafka.KafkaClients;
import io.submissionrouter.results.DeadLettersTooLarge;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.camel.CamelContext;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.jboss.logging.Logger;

/**
 * Replays dead letters into the jobs topic: every dlq record written so far that matches the request (by
 * {@code error.code}, by jobId, written since a time) goes back to the jobs topic with its key and value byte
 * for byte, a header {@code replayed-from} ({@code <dlq>/<partition>/<offset>}) and a new timestamp, so
 * {@code submission.retry.max-age} counts afresh. The dlq itself is left as it is. A replayed job is an
 * ordinary job: one already completed meanwhile comes back {@code DUPLICATE}; an {@code INVALID} one not fixed
 * comes back {@code INVALID} again. A dead letter without the value ({@code TOO_LARGE_FOR_DLQ}) is matched and
 * listed, never replayed: its original is on its source topic.
 */
@ApplicationScoped
public class DlqReplay {

    /** Records listed in a report; the counts cover all. */
    static final int LISTED = 1000;
    private static final Logger LOG = Logger.getLogger(DlqReplay.class);
    private static final Duration POLL = Duration.ofMillis(500);

    private final CamelContext camel;
    private final String dlq;
    private final String jobs;

    public DlqReplay(CamelContext camel, SubmissionConfig config) {
        this.camel = camel;
        this.dlq = config.topics().dlq();
        this.jobs = config.topics().jobs();
    }

    /** What to replay; empty lists match everything. */
    public record Request(List<String> errorCodes, List<String> jobIds, Instant since, boolean dryRun) {
    }

    /** One dead letter matched by a request. */
    public record Entry(String jobId, String errorCode, int partition, long offset) {
    }

    /** What a request matched and, unless it was a dry run, replayed. */
    public record Report(String from, String to, boolean dryRun, int matched, int replayed, List<Entry> records) {
    }

    public synchronized Report replay(Request request) throws InterruptedException, ExecutionException {
        Properties c = KafkaClients.consumer(camel);
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        List<Entry> matched = new ArrayList<>();
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
                KafkaProducer<byte[], byte[]> producer = request.dryRun() ? null : new KafkaProducer<>(
                        KafkaClients.producer(camel), new ByteArraySerializer(), new ByteArraySerializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(dlq, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(dlq, p.partition())).toList();
            consumer.assign(partitions);
            seekToStart(consumer, partitions, request.since());
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL)) {
                    if (r.offset() >= end.get(new TopicPartition(r.topic(), r.partition())) || !matches(r, request)) {
                        continue;
                    }
                    matched.add(new Entry(header(r, "jobId"), header(r, "error.code"), r.partition(), r.offset()));
                    if (DeadLettersTooLarge.CODE.equals(header(r, "error.code"))) {
                        // no value to replay: the original is on its source topic while its retention lasts
                        LOG.infof("dlq replay: %s/%d/%d (job %s) has no value (%s); not replayed, the original is "
                                + "%s-%s@%s", dlq, r.partition(), r.offset(), header(r, "jobId"),
                                DeadLettersTooLarge.CODE, header(r, "source.topic"), header(r, "source.partition"),
                                header(r, "source.offset"));
                    } else if (producer != null) {
                        ProducerRecord<byte[], byte[]> again = new ProducerRecord<>(jobs, r.key(), r.value());
                        again.headers().add("replayed-from",
                                (dlq + "/" + r.partition() + "/" + r.offset()).getBytes(StandardCharsets.UTF_8));
                        sent.add(producer.send(again));
                    }
                }
            }
            if (producer != null) {
                producer.flush();
            }
        }
        for (Future<RecordMetadata> f : sent) {
            f.get();
        }
        LOG.infof("dlq replay %s: %d matched, %d replayed to %s", request, matched.size(), sent.size(), jobs);
        return new Report(dlq, jobs, request.dryRun(), matched.size(), sent.size(),
                List.copyOf(matched.subList(0, Math.min(LISTED, matched.size()))));
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
        return wanted == null || wanted.isEmpty() || (value != null && Set.copyOf(wanted).contains(value));
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
