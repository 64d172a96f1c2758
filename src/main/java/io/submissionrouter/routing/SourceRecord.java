package io.submissionrouter.routing;

import java.time.Instant;

/**
 * Where a job came from: the original record on the jobs topic, kept byte for byte for the dead-letter
 * topic, and its W3C {@code traceparent} header, carried to attempts and the result.
 */
public record SourceRecord(String topic, int partition, long offset, Instant timestamp, byte[] key, byte[] value,
        String traceparent) {
}
