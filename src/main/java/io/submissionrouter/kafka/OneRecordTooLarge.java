package io.submissionrouter.kafka;

import org.apache.kafka.common.errors.RecordTooLargeException;

/**
 * Kafka refused one record as too large, and the fault is the record's, not its topic's: the record is more than
 * twice as large as any this process saw the topic take (or the topic took none yet). Only the record's job waits
 * for it (CONTRACT 9.3: one record too large never holds a whole topic); the original refusal is the cause.
 */
public class OneRecordTooLarge extends RecordTooLargeException {

    private final String topic;
    private final String key;

    public OneRecordTooLarge(String topic, String key, int size, int largestTaken, RecordTooLargeException refusal) {
        super("a record of " + size + " bytes (key " + key + ") is too large for " + topic + ", which took records of "
                + (largestTaken > 0 ? "up to " + largestTaken + " bytes" : "no size yet") + " here: "
                + refusal.getMessage(), refusal);
        this.topic = topic;
        this.key = key;
    }

    public String topic() {
        return topic;
    }

    /** The record's key (a jobId), as text. */
    public String key() {
        return key;
    }
}
