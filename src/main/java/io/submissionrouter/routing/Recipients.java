package io.submissionrouter.routing;

import io.submissionrouter.smtp.RecipientReply;
import io.submissionrouter.smtp.SmtpOutcome;
import jakarta.mail.internet.InternetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Where each recipient of a job stands across its sessions: accepted by a server, refused for good (with the
 * server's answer), or still pending (never tried, or deferred with a 4xx and tried again by the next pass).
 */
final class Recipients {

    private final List<String> accepted = new ArrayList<>();
    private final List<RecipientReply> rejected = new ArrayList<>();
    private List<InternetAddress> pending;

    Recipients(List<InternetAddress> all) {
        this.pending = all == null ? List.of() : List.copyOf(all);
    }

    void accept(List<String> addresses) {
        accepted.addAll(addresses);
    }

    void reject(List<RecipientReply> replies) {
        rejected.addAll(replies);
    }

    /** A permanent refusal of the whole message: every pending recipient is refused with its answer. */
    void rejectAllPending(SmtpOutcome o) {
        if (o.rejected().isEmpty()) {
            for (InternetAddress a : pending) {
                rejected.add(new RecipientReply(a.getAddress(), o.reply() == null ? null : o.reply().code(),
                        o.reply() == null ? null : o.reply().enhancedCode(), o.reply() == null ? null : o.reply().text()));
            }
        } else {
            rejected.addAll(o.rejected());
        }
        pending = List.of();
    }

    /** Keeps pending only the recipients among {@code addresses} (compared without case). */
    void keepPending(List<String> addresses) {
        Set<String> keep = new HashSet<>();
        addresses.forEach(a -> keep.add(a.toLowerCase(Locale.ROOT)));
        pending = pending.stream().filter(a -> keep.contains(a.getAddress().toLowerCase(Locale.ROOT))).toList();
    }

    /** Keeps pending only the recipients a server deferred. */
    void keepDeferred(List<RecipientReply> deferred) {
        keepPending(deferred.stream().map(RecipientReply::address).toList());
    }

    List<InternetAddress> pending() {
        return pending;
    }

    List<String> pendingAddresses() {
        return pending.stream().map(InternetAddress::getAddress).toList();
    }

    List<String> accepted() {
        return accepted;
    }

    List<RecipientReply> rejected() {
        return rejected;
    }
}
