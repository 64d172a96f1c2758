package io.submissionrouter.intake;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;

/**
 * The jobs of one partition of the jobs topic that this pod has taken and not committed: a partition's offset may be
 * committed only up to the first of them that has not finished (CONTRACT 8.3), while later ones finish first.
 * <p>
 * The jobs after that one that did finish are committed too, in the commit's metadata ({@code done:} and their
 * offsets as ranges after the committed one), as Confluent's Parallel Consumer does: whoever reads the partition next
 * (this pod after a restart, another after a rebalance) skips them instead of running them again, so after a crash
 * only the jobs that were in flight run again. Metadata is bounded ({@value #MAX_METADATA} characters); offsets it
 * cannot hold are read again, which the idempotency topic makes safe (CONTRACT 5.4).
 * <p>
 * A partition may also be held at a record that must not run yet (a retry tier's record not due, a waiting topic's
 * while its group admits nothing): from then on no record of it is taken, its consumer pauses it and puts its
 * position back on that record ({@link #holdToApply}), and resumes it once the hold is over ({@link #release}).
 * Thread-safe.
 */
public final class PartitionProgress {

    static final String PREFIX = "done:";
    static final int MAX_METADATA = 3000;

    private final TreeSet<Long> unfinished = new TreeSet<>();
    /** Offsets not read yet that the last owner finished (from its commit's metadata): skipped when read. */
    private final TreeSet<Long> finishedAhead = new TreeSet<>();
    /** The next offset after every one read so far; -1 before the first. */
    private long next = -1;
    /** The offset last committed (the next to read after a restart); -1 before the first commit. */
    private long committed = -1;
    /** A job finished since the last commit: the metadata changed even if the offset did not. */
    private boolean changed;
    private long lastCommitNanos;
    /** Offsets whose job ran here and is not committed yet: their passes are settled by the commit past them. */
    private final TreeSet<Long> ran = new TreeSet<>();
    /** The record the partition is held at (-1: not held), until {@link #heldUntil} says the hold is over. */
    private long heldAt = -1;
    private BooleanSupplier heldUntil;
    /** The hold is applied: the partition is paused and its position is back on {@link #heldAt}. */
    private boolean holdApplied;

    /** Picks up where the last commit left: {@code offset} and the finished offsets its {@code metadata} names. */
    public synchronized void resume(long offset, String metadata) {
        committed = offset;
        next = offset;
        finishedAhead.clear();
        finishedAhead.addAll(named(offset, metadata));
    }

    /**
     * The finished offsets after {@code offset} that a commit's {@code metadata} names ({@code done:} and ranges
     * relative to it); none when the metadata is not ours (every record is read again, the idempotency topic decides).
     */
    static TreeSet<Long> named(long offset, String metadata) {
        TreeSet<Long> named = new TreeSet<>();
        if (metadata != null && metadata.startsWith(PREFIX) && metadata.length() > PREFIX.length()) {
            for (String range : metadata.substring(PREFIX.length()).split(",")) {
                try {
                    int dash = range.indexOf('-');
                    long from = Long.parseLong(dash < 0 ? range : range.substring(0, dash));
                    long to = dash < 0 ? from : Long.parseLong(range.substring(dash + 1));
                    for (long d = from; d <= to && d - from < 100_000; d++) {
                        named.add(offset + d);
                    }
                } catch (NumberFormatException e) {
                    return new TreeSet<>();
                }
            }
        }
        return named;
    }

    /**
     * The record at {@code offset} was read: true when its job is to run now; false when it was taken already (a
     * record read again) or finished before (named in the last commit's metadata).
     */
    public synchronized boolean take(long offset) {
        if (offset < next || unfinished.contains(offset) || heldAt >= 0) {
            return false;
        }
        next = offset + 1;
        boolean finishedBefore = finishedAhead.remove(offset);
        // offsets the last owner named that were never read (transaction markers, records gone by retention) are
        // behind us now: kept, they would end up before the commit in its metadata
        finishedAhead.headSet(next).clear();
        if (finishedBefore) {
            return false;
        }
        unfinished.add(offset);
        ran.add(offset);
        return true;
    }

    /**
     * The record at {@code offset} (not taken) must wait until {@code over} says so: no record of the partition is
     * taken meanwhile. The first hold stands; records after it are read again when it is over.
     */
    public synchronized void hold(long offset, BooleanSupplier over) {
        if (heldAt < 0 && offset >= next) {
            heldAt = offset;
            heldUntil = over;
            holdApplied = false;
        }
    }

    /**
     * The partition is held where it starts until {@code over} says so: its last commit, or offset 0 when it has none
     * (the consumer's position then goes to the earliest record, as its offset reset says).
     */
    public synchronized void holdAtStart(BooleanSupplier over) {
        hold(Math.max(next, 0), over);
    }

    /** Whether the partition is held: its records are not taken now. */
    public synchronized boolean held() {
        return heldAt >= 0;
    }

    /**
     * The offset to put the partition's position back on, once, for a hold not applied yet (its consumer pauses the
     * partition and seeks there); -1 when there is none.
     */
    public synchronized long holdToApply() {
        if (heldAt < 0 || holdApplied) {
            return -1;
        }
        holdApplied = true;
        return heldAt;
    }

    /**
     * Ends a hold applied before and now over: true when the partition may resume (it reads again from the record it
     * was held at). A hold not applied yet never ends here, so records polled before the seek are never taken.
     */
    public synchronized boolean release() {
        if (heldAt < 0 || !holdApplied || !heldUntil.getAsBoolean()) {
            return false;
        }
        heldAt = -1;
        heldUntil = null;
        holdApplied = false;
        return true;
    }

    /**
     * The record at {@code offset} is not this consumer's to run (another relay group's retry): finished as soon as it
     * is read, with no pass to settle.
     */
    public synchronized void passOver(long offset) {
        if (take(offset)) {
            ran.remove(offset);
            finish(offset);
        }
    }

    /** The job of {@code offset} finished (or was handed back): it no longer holds the commit. */
    public synchronized void finish(long offset) {
        if (unfinished.remove(offset)) {
            changed = true;
        }
    }

    /** Records read since the first unfinished job (0 when none is unfinished). */
    public synchronized long span() {
        return unfinished.isEmpty() ? 0 : next - unfinished.first();
    }

    /**
     * What to commit now: up to the first unfinished job (or past the last record read), with the later finished
     * ones in the metadata; null when nothing changed since the last commit, or when the last was less than
     * {@code intervalNanos} ago. The caller commits it and reports back ({@link #committed} or {@link #failed}).
     */
    public synchronized OffsetAndMetadata committable(long intervalNanos) {
        if (next < 0) {
            return null;
        }
        long upTo = unfinished.isEmpty() ? next : unfinished.first();
        if (upTo <= committed && !changed) {
            return null;
        }
        long now = System.nanoTime();
        if (intervalNanos > 0 && lastCommitNanos != 0 && now - lastCommitNanos < intervalNanos) {
            return null;
        }
        lastCommitNanos = now;
        changed = false;
        return new OffsetAndMetadata(upTo, metadata(upTo));
    }

    /**
     * {@code commit} was made: returns the offsets whose job ran here that it covers (their passes are over), those
     * before its offset and, when it is the {@code last} commit of this progress (the partition leaves), those its
     * metadata names as finished: nobody runs them again, and a partition that comes back would otherwise keep their
     * passes until they are evicted. A commit that is not the last may be followed by one whose metadata, cut at its
     * bound, no longer names them.
     */
    public synchronized List<Long> committed(OffsetAndMetadata commit, boolean last) {
        committed = Math.max(committed, commit.offset());
        List<Long> over = new ArrayList<>(ran.headSet(commit.offset()));
        ran.headSet(commit.offset()).clear();
        if (last) {
            for (long done : named(commit.offset(), commit.metadata())) {
                if (ran.remove(done)) {
                    over.add(done);
                }
            }
        }
        return over;
    }

    /** A commit failed: the next one carries everything again. */
    public synchronized void failed() {
        changed = true;
    }

    /** {@code done:} and the finished offsets after {@code upTo}, as ranges relative to it. */
    private String metadata(long upTo) {
        StringBuilder sb = new StringBuilder(PREFIX);
        long start = -1;
        long previous = -1;
        TreeSet<Long> finished = new TreeSet<>(finishedAhead.tailSet(upTo, false));
        for (long o = upTo + 1; o < next; o++) {
            if (!unfinished.contains(o)) {
                finished.add(o);
            }
        }
        for (long o : finished) {
            if (start >= 0 && o == previous + 1) {
                previous = o;
                continue;
            }
            if (start >= 0 && !append(sb, start - upTo, previous - upTo)) {
                return sb.toString();
            }
            start = o;
            previous = o;
        }
        if (start >= 0) {
            append(sb, start - upTo, previous - upTo);
        }
        return sb.toString();
    }

    private static boolean append(StringBuilder sb, long from, long to) {
        String range = from == to ? Long.toString(from) : from + "-" + to;
        if (sb.length() + range.length() + 1 > MAX_METADATA) {
            return false;
        }
        if (sb.length() > PREFIX.length()) {
            sb.append(',');
        }
        sb.append(range);
        return true;
    }
}
