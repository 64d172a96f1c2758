package io.submissionrouter.routing;

import io.submissionrouter.idempotency.CompletedJobs;
import io.submissionrouter.pass.CompletedJob;
import io.submissionrouter.pass.Completion;
import io.submissionrouter.pass.DeferredState;
import io.submissionrouter.pass.RecordRef;
import io.submissionrouter.pass.SourceRecord;
import io.submissionrouter.results.DeliveryResult;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * What a record of a job that has a completion becomes (CONTRACT 5.4, 8.1). Another record with the same jobId is a
 * {@code DUPLICATE}. The job's own record can be read in more than one copy (read again after a crash or a failed
 * commit, or written twice to a tier); whatever the copy, a recipient the completion knows as accepted or refused is
 * never sent to again ({@link DeferredStates#merge}). Once the job has ended, only the record whose pass ended it
 * writes its result again; any other copy ends with nothing sent or written, so the job has one result.
 */
final class AlreadyCompleted {

    /** How long a completion this replica wrote may take to be read back by the tail; then the record is read again. */
    static final Duration READ_BACK = Duration.ofSeconds(10);
    private static final Logger LOG = Logger.getLogger(AlreadyCompleted.class);

    /** What the record becomes. */
    enum Kind {
        /** Another record with the jobId: nothing is sent, the result says {@code DUPLICATE}. */
        DUPLICATE,
        /** The record whose pass ended the job, read again: its result is written again ({@link Verdict#result}). */
        REPLAY,
        /** A copy of a record of the job, which ended or goes on from another record: nothing to send or write. */
        ENDED_ELSEWHERE,
        /** The job goes on from {@link Verdict#from}, to the recipients still pending only. */
        GO_ON
    }

    record Verdict(Kind kind, DeliveryResult result, DeferredState from) {
        static Verdict of(Kind kind) {
            return new Verdict(kind, null, null);
        }
    }

    private final CompletedJobs completedJobs;

    AlreadyCompleted(CompletedJobs completedJobs) {
        this.completedJobs = completedJobs;
    }

    /**
     * @param source  the job's record on the jobs topic (as the record read carries it)
     * @param record  the record read: the jobs topic's, or a tier's or waiting topic's
     * @param carried the state the record carries; null for the jobs topic's record (or a tier record without one)
     * @throws IllegalStateException when the completion cannot be read now: the record is read again later
     */
    Verdict verdict(String jobId, CompletedJob c, SourceRecord source, RecordRef record, DeferredState carried) {
        if (!c.sameJobRecord(RecordRef.of(source))) {
            return Verdict.of(Kind.DUPLICATE);
        }
        Optional<Completion> full = read(jobId, c);
        if (c.done()) {
            RecordRef pass = full.map(Completion::pass).orElse(null);
            if (pass != null && !pass.equals(record)) {
                return endedElsewhere(jobId, record, "it ended in the pass of " + pass);
            }
            // unreadable, or of an older version without its result: it is sent to nobody again
            return full.map(Completion::result).map(r -> new Verdict(Kind.REPLAY, r, null))
                    .orElse(Verdict.of(Kind.DUPLICATE));
        }
        // a state written by hand or a broken writer (an earlier version wrote some without receivedAt) made whole
        DeferredState known = full.map(Completion::state).map(s -> s.whole(Instant.now())).orElse(null);
        if (known == null) {
            return Verdict.of(Kind.DUPLICATE); // which recipients have it cannot be told: sent to nobody again
        }
        DeferredState from = DeferredStates.merge(carried, known);
        if (from.pending() != null && from.pending().isEmpty()) {
            // settled for every recipient between the two: the pass that settled the last one ends the job
            return endedElsewhere(jobId, record, "every recipient was accepted or refused by another of its passes");
        }
        return new Verdict(Kind.GO_ON, null, from);
    }

    private static Verdict endedElsewhere(String jobId, RecordRef record, String why) {
        LOG.infof("job=%s: its record %s was read again or is a copy, and %s: nothing is sent or written for it",
                jobId, record, why);
        return Verdict.of(Kind.ENDED_ELSEWHERE);
    }

    /** The completion's record; one this replica wrote is waited for until the tail reads it back. */
    private Optional<Completion> read(String jobId, CompletedJob known) {
        CompletedJob c = known;
        long deadline = System.nanoTime() + READ_BACK.toNanos();
        while (c.location() == null) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("the completion of job " + jobId + " this replica wrote was not read "
                        + "back from " + completedJobs.topic() + " within " + READ_BACK + "; its record is read again");
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while reading the completion of job " + jobId, e);
            }
            c = completedJobs.find(jobId).orElse(c);
        }
        return completedJobs.fetch(c);
    }
}
