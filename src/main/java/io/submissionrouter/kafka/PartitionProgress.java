package io.submissionrouter.kafka;

import java.util.TreeSet;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;

/**
 * The jobs of one partition of the jobs topic that this pod has taken and not committed: a partition's offset may be
 * committed only up to the first of them that has not finished (CONTRACT 8.3), while later ones finish first.
 * <p>
 * The jobs after that one that did finish are committed too, in the commit's metadata ({@code done:} and their
 * offsets as ranges after the committed one), as Confluent's Parallel Consumer does: whoever reads the partition next
 * (this pod after a restart, another after a rebalance) skips them instead of running them again, so after a crash
 * only the jobs that were in flight run again. Metadata is bounded ({@value #MAX_METADATA} characters); offsets it
 * cannot hold are read again, which the idempotency topic makes safe (CONTRACT 5.4). Thread-safe.
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

    /** Picks up where the last commit left: {@code offset} and the finished offsets its {@code metadata} names. */
    public synchronized void resume(long offset, String metadata) {
        committed = offset;
        next = offset;
        finishedAhead.clear();
        if (metadata != null && metadata.startsWith(PREFIX) && metadata.length() > PREFIX.length()) {
            for (String range : metadata.substring(PREFIX.length()).split(",")) {
                try {
                    int dash = range.indexOf('-');
                    long from = Long.parseLong(dash < 0 ? range : range.substring(0, dash));
                    long to = dash < 0 ? from : Long.parseLong(range.substring(dash + 1));
                    for (long d = from; d <= to && d - from < 100_000; d++) {
                        finishedAhead.add(offset + d);
                    }
                } catch (NumberFormatException e) {
                    finishedAhead.clear(); // not ours: every record is read again (the idempotency topic decides)
                    return;
                }
            }
        }
    }

    /**
     * The record at {@code offset} was read: true when its job is to run now; false when it was taken already (a
     * record read again) or finished before (named in the last commit's metadata).
     */
    public synchronized boolean take(long offset) {
        if (offset < next || unfinished.contains(offset)) {
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
        return true;
    }

    /** The job of {@code offset} finished (or was handed back): it no longer holds the commit. */
    public synchronized void finish(long offset) {
        if (unfinished.remove(offset)) {
            changed = true;
        }
    }

    /** Jobs of this partition taken and not finished. */
    public synchronized int unfinished() {
        return unfinished.size();
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

    /** {@code offset} was committed. */
    public synchronized void committed(long offset) {
        committed = Math.max(committed, offset);
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
