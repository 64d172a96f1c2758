package io.submissionrouter.kafka;

import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.Header;

/**
 * The size of the largest record each topic took from this process's own writes, to tell a record too large for its
 * topic from a topic that refuses records (CONTRACT 9.3). A record refused as too large that is at most twice as large
 * as one the topic took is refused because the topic's {@code max.message.bytes} came down: the topic refuses. One
 * larger than that is refused for its own size: only its job waits. Sizes are key, value and headers, as the router's
 * records are bytes.
 * <p>
 * Blind at first: nothing is read back from the topics, and the sizes start empty with each process, so until this
 * process has written a record to a topic every refusal there is taken for the record's own (README, "Kafka writes that
 * are not answered").
 */
@ApplicationScoped
public class RecordSizes {

    private final Map<String, Integer> largestTaken = new ConcurrentHashMap<>();

    /** The topic acknowledged a record of {@code size} bytes that this process wrote. */
    public void taken(String topic, int size) {
        if (size > 0) {
            largestTaken.merge(topic, size, Math::max);
        }
    }

    /** A refusal as it should be read: a {@link OneRecordTooLarge} when the record's size is what is wrong. */
    Exception explain(String topic, String key, int size, Exception refusal) {
        if (refusal instanceof RecordTooLargeException tooLarge && !(refusal instanceof OneRecordTooLarge)
                && size > 0) {
            int largest = largestTaken.getOrDefault(topic, 0);
            if (size > 2L * largest) {
                return new OneRecordTooLarge(topic, key, size, largest, tooLarge);
            }
        }
        return refusal;
    }

    /** Key, value and headers of a record of bytes; -1 when it holds anything else. */
    static int size(ProducerRecord<?, ?> record) {
        if (!(record.value() instanceof byte[] value) || record.key() != null && !(record.key() instanceof byte[])) {
            return -1;
        }
        int size = value.length + (record.key() == null ? 0 : ((byte[]) record.key()).length);
        for (Header h : record.headers()) {
            size += h.key().getBytes(StandardCharsets.UTF_8).length + (h.value() == null ? 0 : h.value().length);
        }
        return size;
    }

    /** The record's key as text (a jobId), for log lines and health. */
    static String key(ProducerRecord<?, ?> record) {
        return record.key() instanceof byte[] k ? new String(k, StandardCharsets.UTF_8) : String.valueOf(record.key());
    }
}
