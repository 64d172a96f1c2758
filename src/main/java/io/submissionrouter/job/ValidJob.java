package io.submissionrouter.job;

import jakarta.mail.internet.InternetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A job that passed validation, with its addresses parsed. */
public record ValidJob(
        EmailJob job,
        InternetAddress from,
        InternetAddress replyTo,
        List<InternetAddress> to,
        List<InternetAddress> cc,
        List<InternetAddress> bcc) {

    /** Every envelope recipient once (to, cc, bcc), compared by address without case. */
    public List<InternetAddress> recipients() {
        Map<String, InternetAddress> unique = new LinkedHashMap<>();
        for (List<InternetAddress> list : List.of(to, cc, bcc)) {
            for (InternetAddress a : list) {
                unique.putIfAbsent(a.getAddress().toLowerCase(java.util.Locale.ROOT), a);
            }
        }
        return new ArrayList<>(unique.values());
    }
}
