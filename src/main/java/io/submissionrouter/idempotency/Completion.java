package io.submissionrouter.idempotency;

import io.submissionrouter.results.Status;
import java.time.Instant;

/** A completed job as the idempotency topic remembers it (value of a record keyed by jobId). */
public record Completion(Status status, String messageId, Instant completedAt) {
}
