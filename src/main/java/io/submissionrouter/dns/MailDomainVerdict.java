package io.submissionrouter.dns;

/**
 * Whether a recipient domain can receive mail (CONTRACT 6).
 *
 * @param reason why it cannot, or why it is unknown; null when it accepts mail
 */
public record MailDomainVerdict(Kind kind, String domain, String reason) {

    public enum Kind {
        /** An MX, or (no MX) an A or AAAA record as the implicit MX. */
        ACCEPTS_MAIL,
        /** NXDOMAIN, no MX and no address, or a null MX (RFC 7505): {@code NO_MX}. */
        NO_MX,
        /** Timeout or server failure: never a reason to reject. */
        UNKNOWN
    }
}
