package io.submissionrouter.results;

/**
 * How long the texts the router copies into its records may be (CONTRACT 9.3: every record fits its topic). Texts a
 * job does not bound itself (an error message may echo input; a failure's description comes from a library) are cut
 * where they enter a record, so that the size of each record has an upper bound ({@code RecordBounds}).
 */
public final class RecordTexts {

    /** An error code: the router's own are short constants; the bound is for the size of the records. */
    public static final int MAX_CODE_CHARS = 64;
    /** An error message (result {@code error.message}, dead-letter header {@code error.message}). */
    public static final int MAX_MESSAGE_CHARS = 1024;
    /** What the last session of a deferred job failed with ({@code router.state}), beside its reply. */
    public static final int MAX_DETAIL_CHARS = 1024;
    /** A {@code traceparent} carried from the job record (a W3C traceparent of version 00 has 55 characters). */
    public static final int MAX_TRACEPARENT_CHARS = 512;

    private RecordTexts() {
    }

    /** {@code text} cut to at most {@code max} characters, never between the two halves of a surrogate pair. */
    public static String cut(String text, int max) {
        if (text == null || text.length() <= max) {
            return text;
        }
        return text.substring(0, Character.isHighSurrogate(text.charAt(max - 1)) ? max - 1 : max);
    }
}
