package io.submissionrouter.config;

/** How a connection to a submission endpoint is secured. */
public enum TlsMode {
    /** Plain connect, then STARTTLS before anything else; a server that does not offer it is down. */
    STARTTLS,
    /** TLS from the first byte (port 465 style). */
    IMPLICIT,
    /** No TLS at all: refused unless {@code submission.smtp.allow-plaintext=true}. */
    NONE
}
