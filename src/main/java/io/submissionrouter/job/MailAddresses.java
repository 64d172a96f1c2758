package io.submissionrouter.job;

import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import java.net.IDN;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The addresses of a job, each parsed strictly into one mailbox a submission server takes (CONTRACT 2): RFC 822
 * syntax with display names and quoted local parts, a valid domain (an internationalised one in punycode), at most
 * {@value #MAX_ADDRESS_OCTETS} octets. Every rejection is {@code INVALID_ADDRESS} naming the field.
 */
public final class MailAddresses {

    /** The longest address, in UTF-8 octets: a path of 256 octets less its angle brackets (RFC 5321 4.5.3.1.3). */
    public static final int MAX_ADDRESS_OCTETS = 254;
    private static final Pattern DOMAIN = Pattern.compile(
            "(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");
    private static final Pattern ADDRESS_LITERAL = Pattern.compile("\\[[0-9.]{7,15}]|\\[IPv6:[0-9A-Fa-f:.]+]");

    private MailAddresses() {
    }

    /** Parses one mailbox strictly (RFC 822 syntax, Angus Mail), display name allowed. */
    static InternetAddress parse(String field, String value) throws JobRejection {
        if (value == null || value.isBlank()) {
            throw new JobRejection(JobRejection.INVALID_ADDRESS, field + " is empty");
        }
        try {
            InternetAddress[] parsed = InternetAddress.parse(asciiDomain(field, value), true);
            if (parsed.length != 1 || parsed[0].isGroup()) {
                throw new JobRejection(JobRejection.INVALID_ADDRESS, field + " must hold exactly one address");
            }
            parsed[0].validate();
            String address = parsed[0].getAddress();
            checkLength(field, address);
            int at = address.lastIndexOf('@');
            if (at < 1) {
                throw new JobRejection(JobRejection.INVALID_ADDRESS, field + " has no domain");
            }
            if (!address.substring(0, at).codePoints().allMatch(MailAddresses::mayBeInLocalPart)) {
                throw new JobRejection(JobRejection.INVALID_ADDRESS, field
                        + " has a control, space or formatting character in its local part");
            }
            String domain = address.substring(at + 1);
            if (!DOMAIN.matcher(domain).matches() && !ADDRESS_LITERAL.matcher(domain).matches()) {
                throw new JobRejection(JobRejection.INVALID_ADDRESS, field + ": " + domain
                        + " is not a valid domain (RFC 5321 4.1.2)");
            }
            if (parsed[0].getPersonal() != null) {
                // a parsed display name is kept as it was written; set it again so it goes out RFC 2047-encoded
                parsed[0].setPersonal(parsed[0].getPersonal(), "UTF-8");
            }
            return parsed[0];
        } catch (java.io.UnsupportedEncodingException e) {
            throw new IllegalStateException(e);
        } catch (AddressException e) {
            throw new JobRejection(JobRejection.INVALID_ADDRESS, field + " is not a valid address: " + e.getMessage());
        }
    }

    /** Each of {@code values}, parsed; {@code field[i]} names the one rejected. */
    static List<InternetAddress> parseAll(String field, List<String> values) throws JobRejection {
        List<InternetAddress> out = new ArrayList<>(values.size());
        for (int i = 0; i < values.size(); i++) {
            out.add(parse(field + "[" + i + "]", values.get(i)));
        }
        return out;
    }

    /**
     * The address with an internationalised domain written in punycode ({@code bücher.example} becomes
     * {@code xn--bcher-kva.example}), as SMTP without SMTPUTF8 needs it. A non-ASCII local part is kept as
     * it is: such a job needs SMTPUTF8 (RFC 6531), which is checked against the server when it is sent
     * ({@link ValidJob#needsSmtpUtf8()}).
     */
    static String asciiDomain(String field, String value) throws JobRejection {
        int at = value.lastIndexOf('@');
        if (at < 0 || value.chars().allMatch(c -> c < 0x80)) {
            return value;
        }
        int end = value.indexOf('>', at);
        end = end < 0 ? value.length() : end;
        String domain = value.substring(at + 1, end).strip();
        try {
            return value.substring(0, at + 1) + IDN.toASCII(domain, IDN.USE_STD3_ASCII_RULES) + value.substring(end);
        } catch (IllegalArgumentException e) {
            throw new JobRejection(JobRejection.INVALID_ADDRESS, field + " has an invalid internationalised domain: "
                    + e.getMessage());
        }
    }

    /** RFC 6531 lets any UTF-8 character into a local part; the invisible and the breaking ones stay out. */
    private static boolean mayBeInLocalPart(int c) {
        if (c < 0x80) {
            return true; // Angus Mail's strict parser has checked the ASCII ones
        }
        int type = Character.getType(c);
        return !Character.isISOControl(c) && !Character.isWhitespace(c) && !Character.isSpaceChar(c)
                && type != Character.FORMAT && type != Character.SURROGATE && type != Character.UNASSIGNED
                && type != Character.LINE_SEPARATOR && type != Character.PARAGRAPH_SEPARATOR;
    }

    /**
     * An address a server takes (RFC 5321 4.5.3.1.3: a path is at most 256 octets with its angle brackets), without a
     * control character. Results and retry states carry every address, so this also bounds their size: as JSON an
     * address takes at most twice its octets (only {@code "} and {@code \} are escaped).
     */
    private static void checkLength(String field, String address) throws JobRejection {
        if (address.getBytes(StandardCharsets.UTF_8).length > MAX_ADDRESS_OCTETS) {
            throw new JobRejection(JobRejection.INVALID_ADDRESS, field + " has more than " + MAX_ADDRESS_OCTETS
                    + " octets (RFC 5321 4.5.3.1.3)");
        }
        if (address.chars().anyMatch(Character::isISOControl)) {
            throw new JobRejection(JobRejection.INVALID_ADDRESS, field + " has a control character");
        }
    }
}
