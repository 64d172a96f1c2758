package io.submissionrouter.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.junit.jupiter.api.Test;

class MessageIdsTest {

    @Test
    void isBase32OfTheSha256OfTheJobIdAtTheConfiguredDomain() throws Exception {
        String id = MessageIds.of("order-4711-confirmation", "mail.example");
        byte[] digest = MessageDigest.getInstance("SHA-256").digest("order-4711-confirmation".getBytes(StandardCharsets.UTF_8));
        assertThat(id).isEqualTo("<" + rfc4648Base32(digest) + "@mail.example>");
        assertThat(id).matches("<[A-Z2-7]{52}====@mail\\.example>");
    }

    @Test
    void isStableForAJobIdAndDifferentAcrossJobIds() {
        assertThat(MessageIds.of("a", "d")).isEqualTo(MessageIds.of("a", "d")).isNotEqualTo(MessageIds.of("b", "d"));
    }

    /** An independent RFC 4648 encoder, so the test does not trust the library it checks. */
    private static String rfc4648Base32(byte[] data) {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        StringBuilder out = new StringBuilder();
        int buffer = 0;
        int bits = 0;
        for (byte b : data) {
            buffer = (buffer << 8) | (b & 0xff);
            bits += 8;
            while (bits >= 5) {
                out.append(alphabet.charAt((buffer >> (bits - 5)) & 31));
                bits -= 5;
            }
        }
        if (bits > 0) {
            out.append(alphabet.charAt((buffer << (5 - bits)) & 31));
        }
        while (out.length() % 8 != 0) {
            out.append('=');
        }
        return out.toString();
    }
}
