package io.submissionrouter.routing;

import io.submissionrouter.job.ValidJob;
import io.submissionrouter.pass.DeferredState;
import io.submissionrouter.smtp.RecipientReply;
import jakarta.mail.internet.InternetAddress;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Where a job stands when two records of it disagree: the state a tier or waiting record carries, and the state in
 * its completion record, written as soon as a server accepted the job for any recipient (CONTRACT 8.1). A recipient
 * that either knows as accepted or refused for good is never sent to again.
 */
final class DeferredStates {

    private DeferredStates() {
    }

    /**
     * {@code carried} (the record's state, or null: its record carried none) merged with {@code completed} (the
     * completion's): the counters and last session of the one further along (more sessions; the record's on a tie, as
     * a pass that waited or was held counts no session), every recipient accepted or refused in either, and pending
     * only those neither settled.
     */
    static DeferredState merge(DeferredState carried, DeferredState completed) {
        if (carried == null) {
            return completed;
        }
        DeferredState newer = completed.attempts() > carried.attempts() ? completed : carried;
        DeferredState older = newer == carried ? completed : carried;
        List<String> accepted = union(newer.accepted(), older.accepted(), Function.identity());
        Set<String> acceptedKeys = keys(accepted, Function.identity());
        List<RecipientReply> rejected = union(newer.rejected(), older.rejected(), RecipientReply::address).stream()
                .filter(r -> !acceptedKeys.contains(ValidJob.mailbox(r.address()))).toList();
        Set<String> settled = new HashSet<>(acceptedKeys);
        settled.addAll(keys(rejected, RecipientReply::address));
        List<String> pendingBefore = newer.pending() != null ? newer.pending() : older.pending();
        List<String> pending = pendingBefore == null ? null
                : pendingBefore.stream().filter(a -> !settled.contains(ValidJob.mailbox(a))).toList();
        List<RecipientReply> replies = newer.pendingReplies() == null ? null : newer.pendingReplies().stream()
                .filter(r -> !settled.contains(ValidJob.mailbox(r.address()))).toList();
        return new DeferredState(newer.receivedAt(), newer.attempts(), newer.retryableOutcomes(), newer.waits(),
                newer.possibleDuplicate() || older.possibleDuplicate(), pending, accepted, rejected, newer.last(),
                replies, newer.failedEverywhere());
    }

    /**
     * {@code state} with its pending recipients named: a state of an older version says null for "every recipient",
     * which would send again to those it lists as accepted; they are every recipient of {@code recipients} not
     * accepted or refused.
     */
    static DeferredState withPending(DeferredState state, List<InternetAddress> recipients) {
        if (state.pending() != null) {
            return state;
        }
        Set<String> settled = keys(state.accepted() == null ? List.of() : state.accepted(), Function.identity());
        settled.addAll(keys(state.rejected() == null ? List.of() : state.rejected(), RecipientReply::address));
        List<String> pending = recipients.stream().map(InternetAddress::getAddress)
                .filter(a -> !settled.contains(ValidJob.mailbox(a))).toList();
        return new DeferredState(state.receivedAt(), state.attempts(), state.retryableOutcomes(), state.waits(),
                state.possibleDuplicate(), pending, state.accepted(), state.rejected(), state.last(),
                state.pendingReplies(), state.failedEverywhere());
    }

    /** Each of {@code first}, then each of {@code second} not among them, compared as mailboxes. */
    private static <T> List<T> union(List<T> first, List<T> second, Function<T, String> address) {
        Map<String, T> all = new LinkedHashMap<>();
        for (List<T> list : List.of(first == null ? List.<T>of() : first, second == null ? List.<T>of() : second)) {
            list.forEach(item -> all.putIfAbsent(ValidJob.mailbox(address.apply(item)), item));
        }
        return List.copyOf(all.values());
    }

    private static <T> Set<String> keys(List<T> items, Function<T, String> address) {
        Set<String> keys = new HashSet<>();
        items.forEach(item -> keys.add(ValidJob.mailbox(address.apply(item))));
        return keys;
    }
}
