package io.submissionrouter.results;

import java.util.Locale;

/** Terminal status of a job (CONTRACT 3). */
public enum Status {
    SENT, REJECTED, INVALID, FAILED, DUPLICATE, UNCERTAIN;

    /** {@code ce_type} of a result with this status. */
    public String cloudEventType() {
        return "email.submission." + name().toLowerCase(Locale.ROOT);
    }
}
