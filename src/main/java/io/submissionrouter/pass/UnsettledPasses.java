package io.submissionrouter.pass;

import io.submissionrouter.job.JobProperties;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.camel.ExchangeProperty;

/**
 * The passes of this replica whose record (on the jobs topic, a retry tier or a waiting topic) is not committed yet.
 * A job run again after a failed write, or whose record is read again before its commit, finds its pass here and
 * only writes what it still owes Kafka (CONTRACT 8.1). An entry leaves when its record is committed; one whose
 * partition went to another replica leaves after {@value #KEEP_HOURS} hours, or when more than {@value #MAX_ENTRIES}
 * passes wait, the oldest first.
 */
@ApplicationScoped
@Named("unsettledPasses")
public class UnsettledPasses {

    static final int KEEP_HOURS = 6;
    static final int MAX_ENTRIES = 10_000;

    private final Map<RecordRef, Held> passes = new ConcurrentHashMap<>();

    private record Held(Pass pass, long since) {
    }

    /** The pass that came from {@code record}, if its record was read before and is not committed yet. */
    public Pass find(RecordRef record) {
        Held held = record == null ? null : passes.get(record);
        return held == null ? null : held.pass();
    }

    /** Keeps the concluded pass of {@code record} until the record is committed. */
    public void hold(@ExchangeProperty(JobProperties.RECORD) RecordRef record,
            @ExchangeProperty(JobProperties.PASS) Pass pass) {
        if (record == null) {
            return;
        }
        long now = System.nanoTime();
        passes.put(record, new Held(pass, now));
        if (passes.size() > MAX_ENTRIES / 2) {
            evict(now);
        }
    }

    private void evict(long now) {
        passes.values().removeIf(h -> now - h.since() > TimeUnit.HOURS.toNanos(KEEP_HOURS));
        while (passes.size() > MAX_ENTRIES) {
            passes.entrySet().stream().min(Comparator.comparingLong(e -> e.getValue().since()))
                    .ifPresent(e -> passes.remove(e.getKey()));
        }
    }

    /**
     * Everything the pass of {@code record} owed is acknowledged, its commit may still be to come: the pass is kept
     * without the job's bytes and message, so that passes waiting behind a slow job hold little memory.
     */
    public void owesNothing(RecordRef record) {
        Held held = record == null ? null : passes.get(record);
        if (held != null) {
            held.pass().owesNothing();
        }
    }

    /** {@code record} is committed: its pass is over. */
    public void settle(@ExchangeProperty(JobProperties.RECORD) RecordRef record) {
        if (record != null) {
            passes.remove(record);
        }
    }
}
