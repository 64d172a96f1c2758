package io.submissionrouter.relay;

import io.submissionrouter.config.SessionSettings;
import io.submissionrouter.smtp.SmtpSubmitter;
import io.submissionrouter.smtp.SubmissionMailSender;

/**
 * One endpoint of a relay group: where it is, how to talk to it, and its breaker. The submit route reads its
 * {@link #sender()} to build the camel-mail URI of its session.
 */
public record Endpoint(SessionSettings spec, SmtpSubmitter submitter, Breaker breaker) {

    public String relay() {
        return spec.relay();
    }

    public String name() {
        return spec.name();
    }

    /**
     * The name of the endpoint's camel-mail sender in Camel's registry, {@code smtp-<relay>-<endpoint>}; also the
     * host of the submit route's {@code smtp:} URI, which must parse as a host whatever the endpoint's real host is
     * (an IPv6 literal, a name with an underscore): the sender holds the real one.
     */
    public String sender() {
        return SubmissionMailSender.registryName(spec);
    }
}
