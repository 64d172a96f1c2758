package io.submissionrouter.pass;

import io.submissionrouter.job.ValidJob;
import io.submissionrouter.smtp.RecipientReply;
import io.submissionrouter.smtp.SmtpOutcome;
import jakarta.mail.internet.InternetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where each recipient of a job stands across its sessions (CONTRACT 8.1): accepted by a server, refused for good
 * (with the server's answer), or still pending (never tried, or not accepted yet, with the last answer it got).
 * Every recipient is in exactly one of them; when the job ends, the pending ones become its failed recipients.
 */
final class Recipients {

    private final List<String> accepted = new ArrayList<>();
    private final List<RecipientReply> rejected = new ArrayList<>();
    /** The last answer of each pending recipient, by mailbox ({@link ValidJob#mailbox}); absent when it got none. */
    private final Map<String, RecipientReply> lastReplies = new HashMap<>();
    private List<InternetAddress> pending;

    Recipients(List<InternetAddress> all) {
        this.pending = all == null ? List.of() : List.copyOf(all);
    }

    /** What a session answered for the recipients it was given. */
    void apply(SmtpOutcome o) {
        accepted.addAll(o.accepted());
        rejected.addAll(o.rejected());
        o.deferred().forEach(this::remember);
        keepPending(o.deferred().stream().map(RecipientReply::address).toList());
    }

    /** Restores what an earlier pass left: those it accepted and refused, and the last answers of the others. */
    void restore(List<String> acceptedBefore, List<RecipientReply> rejectedBefore, List<RecipientReply> repliesBefore) {
        accepted.addAll(acceptedBefore);
        rejected.addAll(rejectedBefore);
        repliesBefore.forEach(this::remember);
    }

    /** Keeps pending only the recipients among {@code addresses} (compared as mailboxes). */
    void keepPending(List<String> addresses) {
        Set<String> keep = new HashSet<>();
        addresses.forEach(a -> keep.add(key(a)));
        pending = pending.stream().filter(a -> keep.contains(key(a.getAddress()))).toList();
        lastReplies.keySet().retainAll(keep);
    }

    /** The job ends with recipients still pending: they become its failed recipients. */
    List<RecipientReply> failPending() {
        List<RecipientReply> failed = pendingReplies();
        pending = List.of();
        lastReplies.clear();
        return failed;
    }

    List<InternetAddress> pending() {
        return pending;
    }

    List<String> pendingAddresses() {
        return pending.stream().map(InternetAddress::getAddress).toList();
    }

    /** Each pending recipient with the last answer it got (smtpCode null when none). */
    List<RecipientReply> pendingReplies() {
        return pending.stream().map(a -> lastReplies.getOrDefault(key(a.getAddress()),
                new RecipientReply(a.getAddress(), null, null, null))).toList();
    }

    List<String> accepted() {
        return accepted;
    }

    List<RecipientReply> rejected() {
        return rejected;
    }

    private void remember(RecipientReply r) {
        RecipientReply before = lastReplies.get(key(r.address()));
        // an answer without a code (no reply, a session lost) does not hide an earlier answer that had one
        if (r.smtpCode() != null || before == null) {
            lastReplies.put(key(r.address()), r);
        }
    }

    private static String key(String address) {
        return ValidJob.mailbox(address);
    }
}
