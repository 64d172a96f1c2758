package io.submissionrouter.results;

/** {@code error} of a result: a stable code and a human message. */
public record ErrorInfo(String code, String message) {
}
