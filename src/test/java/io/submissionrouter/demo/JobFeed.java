package io.submissionrouter.demo;

import io.submissionrouter.testing.Jobs;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Writes the benchmark's jobs (minimal valid jobs, keyed by jobId {@code <phase>-<n>}), each record stamped with the
 * time it was sent (CreateTime), which is where a job's latency starts.
 */
final class JobFeed implements AutoCloseable {

    private final KafkaProducer<byte[], byte[]> producer;

    JobFeed(String bootstrap) {
        producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.LINGER_MS_CONFIG, 5, ProducerConfig.BATCH_SIZE_CONFIG, 262144,
                ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4"),
                new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** {@code count} jobs as fast as the producer takes them; returns when the first was sent (epoch ms). */
    long backlog(String topic, String phase, int count) {
        long first = System.currentTimeMillis();
        for (int i = 0; i < count; i++) {
            send(topic, phase + "-" + i);
        }
        producer.flush();
        return first;
    }

    /** {@code count} jobs, job i at i / perSecond seconds from now; returns when each was sent (epoch ms), by jobId. */
    Map<String, Long> paced(String topic, String phase, int count, double perSecond) {
        Map<String, Long> sentAt = new HashMap<>();
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            long due = start + (long) (i * 1e9 / perSecond);
            for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
                LockSupport.parkNanos(wait);
            }
            String jobId = phase + "-" + i;
            sentAt.put(jobId, send(topic, jobId));
        }
        producer.flush();
        return sentAt;
    }

    private long send(String topic, String jobId) {
        long now = System.currentTimeMillis();
        producer.send(new ProducerRecord<>(topic, null, now, jobId.getBytes(StandardCharsets.UTF_8),
                Jobs.json(Jobs.job(jobId)).getBytes(StandardCharsets.UTF_8)));
        return now;
    }

    @Override
    public void close() {
        producer.close();
    }
}
