package io.submissionrouter.smtp;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One SMTP reply: its code, its enhanced status code (RFC 3463) when it has one, and its text without
 * either, as results report them ({@code smtpCode}, {@code smtpEnhancedCode}, {@code smtpReply}).
 */
public record SmtpReply(int code, String enhancedCode, String text) {

    /**
     * The most characters of a reply's text kept (CONTRACT 9.1): what results, attempt events, completions and
     * retry-tier records carry of it. RFC 5321 4.5.3.1.5 gives a reply line 512 octets; a longer text is cut here,
     * whatever the server sent.
     */
    public static final int MAX_TEXT_CHARS = 512;

    /** A reply; its text cut to {@link #MAX_TEXT_CHARS}. */
    public SmtpReply {
        if (text != null && text.length() > MAX_TEXT_CHARS) {
            int cut = Character.isHighSurrogate(text.charAt(MAX_TEXT_CHARS - 1)) ? MAX_TEXT_CHARS - 1 : MAX_TEXT_CHARS;
            text = text.substring(0, cut);
        }
    }

    private static final Pattern REPLY = Pattern.compile("^\\s*([2-5]\\d\\d)[ -]?(?:([245]\\.\\d{1,3}\\.\\d{1,3})\\s)?(.*)$",
            Pattern.DOTALL);

    private static final Pattern TOO_MANY_RECIPIENTS = Pattern.compile("(?i)too many recipients");

    private static final Pattern RATE_EXCEEDED = Pattern.compile("(?i)throttl|rate exceeded");

    /** Parses a reply line such as {@code 250 2.0.0 Ok: queued}; null when the text carries no reply code. */
    public static SmtpReply parse(String line) {
        if (line == null) {
            return null;
        }
        Matcher m = REPLY.matcher(line.strip());
        if (!m.matches()) {
            return null;
        }
        return new SmtpReply(Integer.parseInt(m.group(1)), m.group(2), m.group(3).strip());
    }

    /**
     * The server takes no more recipients in this transaction (CONTRACT 9.2): enhanced code X.5.3 (RFC 3463, "too many
     * recipients"), or a 452 (or the historical 552, RFC 5321 4.5.3.1.10) saying so without one. Never a refusal of the
     * recipient: it goes in a following transaction.
     */
    public boolean tooManyRecipients() {
        if (code < 400) {
            return false;
        }
        if (enhancedCode != null) {
            return enhancedCode.endsWith(".5.3");
        }
        return (code == 452 || code == 552) && text != null && TOO_MANY_RECIPIENTS.matcher(text).find();
    }

    public boolean transientFailure() {
        return code >= 400 && code < 500;
    }

    /**
     * 421 (service closing) or a 4.7.x enhanced code: the server asks the client to slow down. Also Amazon SES's
     * 454 without an enhanced code, {@code 454 Throttling failure: Maximum sending rate exceeded.}
     */
    public boolean throttling() {
        return code == 421 || (transientFailure() && enhancedCode != null && enhancedCode.startsWith("4.7."))
                || (code == 454 && text != null && RATE_EXCEEDED.matcher(text).find());
    }
}
