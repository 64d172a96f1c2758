package io.submissionrouter.results;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.submissionrouter.smtp.RecipientReply;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The one terminal result of a job on the results topic (CONTRACT 3). A {@code DUPLICATE} carries the
 * original job's {@code originalStatus}, {@code messageId} and {@code completedAt}. Every recipient of the job is
 * in exactly one of {@code acceptedRecipients}, {@code rejectedRecipients} and {@code failedRecipients} (CONTRACT
 * 8.1: those neither accepted nor refused for good when the job ended, with the last answer each got).
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record DeliveryResult(
        String jobId,
        Status status,
        String relay,
        EndpointRef endpoint,
        Integer smtpCode,
        String smtpEnhancedCode,
        String smtpReply,
        String messageId,
        int attempts,
        boolean possibleDuplicate,
        List<String> acceptedRecipients,
        List<RecipientReply> rejectedRecipients,
        List<RecipientReply> failedRecipients,
        ErrorInfo error,
        Map<String, String> metadata,
        Instant receivedAt,
        Instant completedAt,
        @JsonInclude(JsonInclude.Include.NON_NULL) Status originalStatus) {
}
