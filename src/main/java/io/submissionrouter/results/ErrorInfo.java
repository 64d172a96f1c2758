package io.submissionrouter.results;

/**
 * {@code error} of a result: a stable code and a human message. The message may echo input (a rejected address, a
 * server's answer): it is cut to {@value RecordTexts#MAX_MESSAGE_CHARS} characters, the code to
 * {@value RecordTexts#MAX_CODE_CHARS}, so that results and dead letters stay within their topics.
 */
public record ErrorInfo(String code, String message) {

    /** An error; its code and message cut to their bounds. */
    public ErrorInfo {
        code = RecordTexts.cut(code, RecordTexts.MAX_CODE_CHARS);
        message = RecordTexts.cut(message, RecordTexts.MAX_MESSAGE_CHARS);
    }
}
