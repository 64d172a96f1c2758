package io.submissionrouter.job;

import jakarta.mail.internet.InternetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

/** A job that passed validation, with its addresses parsed. */
public record ValidJob(
        EmailJob job,
        InternetAddress from,
        InternetAddress replyTo,
        List<InternetAddress> to,
        List<InternetAddress> cc,
        List<InternetAddress> bcc) {

    /** Every envelope recipient once (to, cc, bcc), compared as mailboxes ({@link #mailbox(String)}). */
    public List<InternetAddress> recipients() {
        Map<String, InternetAddress> unique = new LinkedHashMap<>();
        for (List<InternetAddress> list : List.of(to, cc, bcc)) {
            for (InternetAddress a : list) {
                unique.putIfAbsent(mailbox(a.getAddress()), a);
            }
        }
        return new ArrayList<>(unique.values());
    }

    /**
     * An address as a mailbox is compared: its local part exactly (RFC 5321 2.4: it MUST be treated as case
     * sensitive; {@code Ada@} and {@code ada@} may be two mailboxes), its domain without case.
     */
    public static String mailbox(String address) {
        int at = address.lastIndexOf('@');
        return at < 0 ? address : address.substring(0, at + 1) + address.substring(at + 1).toLowerCase(Locale.ROOT);
    }

    /**
     * True when an address has a non-ASCII local part (domains are always punycode): the message can only
     * go to a server that offers SMTPUTF8 (RFC 6531), with its headers in raw UTF-8 (RFC 6532).
     */
    public boolean needsSmtpUtf8() {
        return Stream.concat(recipients().stream(), Stream.of(from, replyTo)).filter(Objects::nonNull)
                .anyMatch(a -> a.getAddress().chars().anyMatch(c -> c >= 0x80));
    }
}
