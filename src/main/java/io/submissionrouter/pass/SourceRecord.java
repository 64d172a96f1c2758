package io.submissionrouter.pass;

import io.submissionrouter.results.RecordTexts;
import java.time.Instant;

/**
 * Where a job came from: the original record on the jobs topic, kept byte for byte for the dead-letter
 * topic, and its W3C {@code traceparent} header, carried to attempts and the result.
 */
public record SourceRecord(String topic, int partition, long offset, Instant timestamp, byte[] key, byte[] value,
        String traceparent) {

    /**
     * A record; a {@code traceparent} that cannot be a W3C one (longer than
     * {@value RecordTexts#MAX_TRACEPARENT_CHARS} characters, or not printable ASCII) is dropped: it would be copied to
     * every record the job leads to, whose size must have a bound (CONTRACT 9.3).
     */
    public SourceRecord {
        if (traceparent != null && (traceparent.length() > RecordTexts.MAX_TRACEPARENT_CHARS
                || !traceparent.chars().allMatch(c -> c >= 0x20 && c < 0x7f))) {
            traceparent = null;
        }
    }
}
