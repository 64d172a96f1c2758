package io.submissionrouter.retry;

import io.submissionrouter.pass.DeferredState;
import io.submissionrouter.pass.SourceRecord;

/**
 * A job read back from a retry tier or a waiting topic: its original record on the jobs topic (bytes,
 * coordinates, time, trace context) and the state its last pass left; {@code state} is null when the record
 * carried none (it was written by hand, or replayed), and the job then starts afresh.
 */
public record DeferredJob(SourceRecord source, DeferredState state) {
}
