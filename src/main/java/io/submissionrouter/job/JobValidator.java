package io.submissionrouter.job;

import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.ParseException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The checks of CONTRACT 2 that the job's JSON Schema ({@link JobSchema}, run first by {@link JobReader}) cannot
 * make: line breaks and unfoldable words in what becomes a header, limits and relays from the settings, addresses,
 * base64 and MIME types. Every rejection has a stable code and names the field.
 */
public final class JobValidator {

    private static final Pattern JOB_ID = Pattern.compile("[\\x21-\\x7E]{1,200}");
    private static final Pattern FIELD_NAME = Pattern.compile("[\\x21-\\x39\\x3B-\\x7E]+");
    /** A field name is never folded, so with ": " it must fit in a recommended 78-character line. */
    private static final int MAX_FIELD_NAME = 76;
    /** The longest run without white space in a header value: 998 less the longest field name and ": ". */
    static final int MAX_WORD = 900;
    private static final Set<String> ROUTER_OWNED = Set.of("from", "to", "cc", "bcc", "reply-to", "subject", "date",
            "message-id", "mime-version", "received", "return-path", "sender");

    /** What a job may hold, and who it may be from. */
    public record Limits(int maxRecipients, int maxAttachments, Set<String> allowedFromDomains) {
        public Limits {
            allowedFromDomains = allowedFromDomains.stream().map(d -> d.strip().toLowerCase(Locale.ROOT))
                    .filter(d -> !d.isEmpty()).collect(java.util.stream.Collectors.toUnmodifiableSet());
        }
    }

    private final Limits limits;
    private final Optional<String> defaultFrom;
    private final Set<String> relays;

    public JobValidator(Limits limits, Optional<String> defaultFrom, Set<String> relays) {
        this.limits = limits;
        this.defaultFrom = defaultFrom;
        this.relays = relays;
    }

    /** The schema's jobId rule, for a record the schema could not read (its jobId is salvaged for the result). */
    public static boolean isValidJobId(String jobId) {
        return jobId != null && JOB_ID.matcher(jobId).matches();
    }

    public ValidJob validate(EmailJob job) throws JobRejection {
        checkHeaderSafety(job);
        checkWordLengths(job);
        String from = job.from() != null ? job.from() : defaultFrom.orElse(null);
        if (from == null) {
            throw new JobRejection(JobRejection.MISSING_FIELD, "from is required (no submission.default-from is set)");
        }
        int count = job.to().size() + job.cc().size() + job.bcc().size();
        if (count > limits.maxRecipients()) {
            throw new JobRejection(JobRejection.TOO_MANY_RECIPIENTS, count
                    + " recipients, more than submission.limits.max-recipients (" + limits.maxRecipients() + ")");
        }
        if (job.attachments().size() > limits.maxAttachments()) {
            throw new JobRejection(JobRejection.TOO_MANY_ATTACHMENTS, job.attachments().size()
                    + " attachments, more than submission.limits.max-attachments (" + limits.maxAttachments() + ")");
        }
        if (!relays.contains(job.relay())) {
            throw new JobRejection(JobRejection.UNKNOWN_RELAY, "relay '" + job.relay() + "' is not configured");
        }
        checkHeaders(job.headers());
        checkAttachments(job.attachments());
        InternetAddress sender = MailAddresses.parse("from", from);
        checkSender(sender);
        return new ValidJob(job, sender,
                job.replyTo() == null ? null : MailAddresses.parse("replyTo", job.replyTo()),
                MailAddresses.parseAll("to", job.to()), MailAddresses.parseAll("cc", job.cc()),
                MailAddresses.parseAll("bcc", job.bcc()));
    }

    /** No value that ends up in a header may carry CR or LF (header injection). */
    private static void checkHeaderSafety(EmailJob job) throws JobRejection {
        noLineBreak("from", job.from());
        noLineBreak("replyTo", job.replyTo());
        noLineBreak("subject", job.subject());
        noLineBreaks("to", job.to());
        noLineBreaks("cc", job.cc());
        noLineBreaks("bcc", job.bcc());
        for (Map.Entry<String, String> h : job.headers().entrySet()) {
            noLineBreak("headers name", h.getKey());
            noLineBreak("headers." + h.getKey(), h.getValue());
        }
        for (int i = 0; i < job.attachments().size(); i++) {
            EmailJob.Attachment a = job.attachments().get(i);
            noLineBreak("attachments[" + i + "].filename", a.filename());
            noLineBreak("attachments[" + i + "].contentType", a.contentType());
            // the schema's pattern ends in $, which lets a trailing line break through
            noLineBreak("attachments[" + i + "].contentId", a.contentId());
        }
    }

    /**
     * A header line is folded only where there is white space, and no line may pass 998 octets (RFC 5322 2.1.1).
     * So no run without white space in a value that becomes a header may be longer than {@value #MAX_WORD}.
     */
    private static void checkWordLengths(EmailJob job) throws JobRejection {
        noLongWord(JobRejection.INVALID_FIELD, "subject", job.subject());
        noLongWord(JobRejection.INVALID_ADDRESS, "from", job.from());
        noLongWord(JobRejection.INVALID_ADDRESS, "replyTo", job.replyTo());
        noLongWords("to", job.to());
        noLongWords("cc", job.cc());
        for (Map.Entry<String, String> h : job.headers().entrySet()) {
            noLongWord(JobRejection.INVALID_HEADER, "headers." + h.getKey(), h.getValue());
        }
    }

    private static void noLongWords(String field, List<String> addresses) throws JobRejection {
        for (int i = 0; i < addresses.size(); i++) {
            noLongWord(JobRejection.INVALID_ADDRESS, field + "[" + i + "]", addresses.get(i));
        }
    }

    private static void noLongWord(String code, String field, String value) throws JobRejection {
        if (value == null) {
            return;
        }
        int run = 0;
        for (int i = 0; i < value.length(); i++) {
            run = Character.isWhitespace(value.charAt(i)) ? 0 : run + 1;
            if (run > MAX_WORD) {
                throw new JobRejection(code, field + " has more than " + MAX_WORD
                        + " characters without a space; a header line cannot be folded there (RFC 5322 2.1.1)");
            }
        }
    }

    private static void noLineBreaks(String field, List<String> values) throws JobRejection {
        for (int i = 0; i < values.size(); i++) {
            noLineBreak(field + "[" + i + "]", values.get(i));
        }
    }

    private static void noLineBreak(String field, String value) throws JobRejection {
        if (value != null && (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0)) {
            throw new JobRejection(JobRejection.HEADER_INJECTION, field + " contains a CR or LF character");
        }
    }

    /** With {@code submission.limits.allowed-from-domains} set, the sender's domain must be one of them. */
    private void checkSender(InternetAddress from) throws JobRejection {
        if (limits.allowedFromDomains().isEmpty()) {
            return;
        }
        String address = from.getAddress();
        String domain = address.substring(address.lastIndexOf('@') + 1).toLowerCase(Locale.ROOT);
        if (!limits.allowedFromDomains().contains(domain)) {
            throw new JobRejection(JobRejection.SENDER_NOT_ALLOWED, "from: the domain " + domain
                    + " is not in submission.limits.allowed-from-domains");
        }
    }

    private static void checkHeaders(Map<String, String> headers) throws JobRejection {
        for (Map.Entry<String, String> h : headers.entrySet()) {
            String name = h.getKey();
            // the schema's propertyNames pattern ends in $, which lets a trailing U+0085, U+2028 or U+2029 through
            // (a trailing CR or LF is HEADER_INJECTION, above)
            if (!FIELD_NAME.matcher(name).matches()) {
                throw new JobRejection(JobRejection.INVALID_HEADER, "headers: '" + name
                        + "' is not a valid header field name (RFC 5322 3.6.8)");
            }
            if (name.length() > MAX_FIELD_NAME) {
                throw new JobRejection(JobRejection.INVALID_HEADER, "headers: a field name of " + name.length()
                        + " characters cannot be folded; at most " + MAX_FIELD_NAME + " (RFC 5322 2.1.1)");
            }
            String lower = name.toLowerCase(Locale.ROOT);
            if (ROUTER_OWNED.contains(lower) || lower.startsWith("content-")) {
                throw new JobRejection(JobRejection.INVALID_HEADER, "headers: " + name + " is set by the router");
            }
        }
    }

    private static void checkAttachments(List<EmailJob.Attachment> attachments) throws JobRejection {
        for (int i = 0; i < attachments.size(); i++) {
            EmailJob.Attachment a = attachments.get(i);
            String field = "attachments[" + i + "]";
            if (a.filename().isBlank()) { // the schema refuses it empty, or missing, as it does contentBase64
                throw new JobRejection(JobRejection.MISSING_FIELD, field + ".filename is required");
            }
            try {
                MimeMessageFactory.decode(a.contentBase64());
            } catch (IllegalArgumentException e) {
                throw new JobRejection(JobRejection.INVALID_ATTACHMENT, field + ".contentBase64 is not base64");
            }
            if (a.contentType() != null) {
                try {
                    new ContentType(a.contentType());
                } catch (ParseException e) {
                    throw new JobRejection(JobRejection.INVALID_ATTACHMENT, field + ".contentType is not a MIME type");
                }
            }
        }
    }
}
