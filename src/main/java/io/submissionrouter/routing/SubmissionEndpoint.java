package io.submissionrouter.routing;

import io.submissionrouter.smtp.EndpointSpec;
import io.submissionrouter.smtp.SmtpSubmitter;
import io.submissionrouter.smtp.SubmissionMailSender;

/**
 * One endpoint of a relay group: where it is, how to talk to it, and its breaker. The submit route reads its
 * {@link #host()}, {@link #port()} and {@link #sender()} to build the camel-mail URI of its session.
 */
public record SubmissionEndpoint(EndpointSpec spec, SmtpSubmitter submitter, EndpointBreaker breaker) {

    public String relay() {
        return spec.relay();
    }

    public String name() {
        return spec.name();
    }

    /** The endpoint's host as a URI writes it (an IPv6 literal in brackets). */
    public String host() {
        String host = spec.host();
        return host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    public int port() {
        return spec.port();
    }

    /** The name of the endpoint's camel-mail sender in Camel's registry. */
    public String sender() {
        return SubmissionMailSender.registryName(spec);
    }
}
