package io.submissionrouter.job;

import java.util.Base64;

/** Attachment content as producers send it: base64, line breaks allowed, nothing else. */
final class Attachments {

    private Attachments() {
    }

    /** Decodes strictly (the MIME decoder would silently skip stray characters). */
    static byte[] decode(String base64) {
        return Base64.getDecoder().decode(base64.replaceAll("[\\r\\n]", ""));
    }
}
