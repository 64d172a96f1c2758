package io.submissionrouter.job;

import java.nio.charset.StandardCharsets;
import org.apache.commons.codec.binary.Base32;
import org.apache.commons.codec.digest.DigestUtils;

/**
 * Message-IDs derived from the jobId (CONTRACT 3): {@code <} + base32 (RFC 4648, upper case, padded) of
 * SHA-256 of the jobId's UTF-8 bytes + {@code @} + domain + {@code >}. A resend carries the same
 * Message-ID, and internal ids never show.
 */
public final class MessageIds {

    private MessageIds() {
    }

    public static String of(String jobId, String domain) {
        byte[] digest = DigestUtils.sha256(jobId.getBytes(StandardCharsets.UTF_8));
        return "<" + new Base32().encodeAsString(digest) + "@" + domain + ">";
    }
}
