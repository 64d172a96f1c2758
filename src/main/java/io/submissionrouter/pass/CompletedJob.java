package io.submissionrouter.pass;

import io.submissionrouter.results.Status;
import java.time.Instant;

/**
 * What a replica keeps in memory of each completed jobId (one per job within the window): enough to tell a
 * duplicate from the same job's record read again, and where its completion record is, to read its result or
 * state when that happens ({@code CompletedJobs.fetch}).
 *
 * @param source   the job's record on the jobs topic; null for records of older versions
 * @param location partition and offset of the completion record; null when this replica wrote it and has not
 *                 read it back
 */
public record CompletedJob(Status status, String messageId, Instant completedAt, RecordRef source, boolean done,
        RecordRef location) {

    public static CompletedJob of(Completion c, RecordRef location) {
        return new CompletedJob(c.status(), c.messageId(), c.completedAt(), c.source(), c.ended(), location);
    }

    /** Whether {@code record} is the job's own record on the jobs topic (not a copy produced again). */
    public boolean sameJobRecord(RecordRef record) {
        return source != null && source.equals(record);
    }
}
