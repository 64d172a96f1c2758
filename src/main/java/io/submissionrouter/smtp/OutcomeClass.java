package io.submissionrouter.smtp;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** What an SMTP session's result means for the job and the endpoint (CONTRACT 5.2). */
public enum OutcomeClass {
    /** Accepted for every recipient still pending. */
    SENT,
    /** 5xx to MAIL, RCPT or DATA: permanent, never retried, breaker untouched. */
    REJECTED,
    /** 4xx to MAIL, RCPT or DATA: retried later, breaker untouched. */
    TRANSIENT,
    /** 421 or 4.7.x after AUTH: the group slows down, retried later, breaker untouched. */
    THROTTLED,
    /** The endpoint cannot take mail now: counts against its breaker, next endpoint at once. */
    ENDPOINT_DOWN,
    /** AUTH refused: as ENDPOINT_DOWN, and someone must fix a setting. */
    CONFIG_ERROR,
    /** Connection lost after the final dot, before the reply. */
    UNCERTAIN,
    /**
     * The job's own time ({@code submission.consumer.job-timeout}) ran out during the session, before the final dot:
     * the router's deadline, never the endpoint's failure (CONTRACT 9.1). Retried like {@code transient}; the breaker
     * is not touched. Addition.
     */
    JOB_TIMEOUT,
    /** The endpoint's breaker did not admit the call; no session was opened. */
    SKIPPED_OPEN;

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Outcomes that count against the endpoint's breaker and send the job on to the next endpoint. */
    public boolean endpointFailed() {
        return this == ENDPOINT_DOWN || this == CONFIG_ERROR;
    }
}
