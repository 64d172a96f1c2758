package io.submissionrouter.routing;

import io.submissionrouter.smtp.EndpointSpec;
import io.submissionrouter.smtp.SmtpSubmitter;

/** One endpoint of a relay group: where it is, how to talk to it, and its breaker. */
public record SubmissionEndpoint(EndpointSpec spec, SmtpSubmitter submitter, EndpointBreaker breaker) {

    public String relay() {
        return spec.relay();
    }

    public String name() {
        return spec.name();
    }
}
