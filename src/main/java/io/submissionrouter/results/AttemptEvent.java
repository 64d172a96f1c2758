package io.submissionrouter.results;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.submissionrouter.smtp.OutcomeClass;
import io.submissionrouter.smtp.SmtpStep;
import java.time.Instant;

/** One SMTP session tried for a job, or skipped because the endpoint's breaker was open (CONTRACT 3.1). */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record AttemptEvent(
        String jobId,
        int attempt,
        String relay,
        EndpointRef endpoint,
        SmtpStep step,
        OutcomeClass outcome,
        Integer smtpCode,
        String smtpEnhancedCode,
        String smtpReply,
        long durationMs,
        Instant at) {
}
