package io.submissionrouter.job;

/**
 * Why a job is {@code INVALID}: a stable code (CONTRACT 3) and a message naming the field.
 * Thrown by the validation steps; crosses into results as a value.
 */
public final class JobRejection extends Exception {

    private final String code;

    public JobRejection(String code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    public String code() {
        return code;
    }

    /** The codes the router emits. */
    public static final String MALFORMED_JSON = "MALFORMED_JSON";
    public static final String MISSING_FIELD = "MISSING_FIELD";
    public static final String INVALID_FIELD = "INVALID_FIELD";
    public static final String INVALID_ADDRESS = "INVALID_ADDRESS";
    public static final String INVALID_HEADER = "INVALID_HEADER";
    public static final String INVALID_ATTACHMENT = "INVALID_ATTACHMENT";
    public static final String HEADER_INJECTION = "HEADER_INJECTION";
    public static final String TOO_LARGE = "TOO_LARGE";
    public static final String TOO_MANY_RECIPIENTS = "TOO_MANY_RECIPIENTS";
    public static final String UNKNOWN_RELAY = "UNKNOWN_RELAY";
    public static final String SENDER_NOT_ALLOWED = "SENDER_NOT_ALLOWED";
    public static final String NO_MX = "NO_MX";
    public static final String TOO_MANY_ATTACHMENTS = "TOO_MANY_ATTACHMENTS";

    /** Every code above: a job's own fault, which sending it again unchanged cannot mend. */
    public static final java.util.Set<String> CODES = java.util.Set.of(MALFORMED_JSON, MISSING_FIELD, INVALID_FIELD,
            INVALID_ADDRESS, INVALID_HEADER, INVALID_ATTACHMENT, HEADER_INJECTION, TOO_LARGE, TOO_MANY_RECIPIENTS,
            UNKNOWN_RELAY, SENDER_NOT_ALLOWED, NO_MX, TOO_MANY_ATTACHMENTS);
}
