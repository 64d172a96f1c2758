package io.submissionrouter.job;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;
import java.util.Map;

/** An email job as producers write it to the jobs topic (CONTRACT 2). Unknown fields are ignored. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record EmailJob(
        String jobId,
        String from,
        String replyTo,
        List<String> to,
        List<String> cc,
        List<String> bcc,
        String subject,
        String text,
        String html,
        Map<String, String> headers,
        List<Attachment> attachments,
        String relay,
        Map<String, String> metadata) {

    /** The relay group for the content-based router. */
    public static final String DEFAULT_RELAY = "default";

    public EmailJob {
        to = to == null ? List.of() : to;
        cc = cc == null ? List.of() : cc;
        bcc = bcc == null ? List.of() : bcc;
        headers = headers == null ? Map.of() : headers;
        attachments = attachments == null ? List.of() : attachments;
        relay = relay == null ? DEFAULT_RELAY : relay;
        metadata = metadata == null ? Map.of() : metadata;
    }

    /**
     * One attachment, its content in base64. With a {@code contentId} it is an inline part the html refers
     * to as {@code cid:<contentId>} (multipart/related), not an attachment of its own.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Attachment(String filename, String contentType, String contentBase64, String contentId) {
        public boolean inline() {
            return contentId != null;
        }
    }
}
