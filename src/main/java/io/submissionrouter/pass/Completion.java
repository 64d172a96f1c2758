package io.submissionrouter.pass;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.submissionrouter.results.DeliveryResult;
import io.submissionrouter.results.Status;
import java.time.Instant;

/**
 * A completed job as the idempotency topic remembers it (value of a record keyed by jobId). A job is completed
 * as soon as a server accepted it for any recipient (CONTRACT 8.1), so the record is written before anything else
 * the pass produces, and again when the job ends.
 *
 * @param status      the job's status, or what it will be ({@code SENT} while accepted recipients wait for others)
 * @param source      the job's record on the jobs topic: reading that record again is not a duplicate but the same
 *                    job, whose outputs may still be owed (null in records of older versions)
 * @param done        whether the job has ended; null in records of older versions, which were all written at the end
 * @param result      when done: the result, to be written again if the pass that ended the job could not
 * @param state       when not done: where the job stands, for the replica that reads its record again
 * @param pass        the record whose pass wrote it (the job's record on the jobs topic, or a retry tier's or waiting
 *                    topic's): that record read again owes what its pass did not get to write; any other record of
 *                    the job (a copy of a tier record) owes nothing once the job has ended. Null in records of older
 *                    versions
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Completion(Status status, String messageId, Instant completedAt, RecordRef source, Boolean done,
        DeliveryResult result, DeferredState state, RecordRef pass) {

    /** A completion as a pass decides it; the record of the pass is added as it is written ({@link #writtenFor}). */
    public Completion(Status status, String messageId, Instant completedAt, RecordRef source, Boolean done,
            DeliveryResult result, DeferredState state) {
        this(status, messageId, completedAt, source, done, result, state, null);
    }

    /** This completion, written by the pass of {@code record}. */
    public Completion writtenFor(RecordRef record) {
        return new Completion(status, messageId, completedAt, source, done, result, state, record);
    }

    /** Whether the job has ended (records of older versions were all written at the end). */
    public boolean ended() {
        return done == null || done;
    }
}
