package io.submissionrouter.config;

import java.util.List;

/** Finds the submission endpoints of a mail domain (RFC 6186 SRV records), best first. */
@FunctionalInterface
public interface SrvDiscovery {

    /** A host and port to submit to. */
    record Target(String host, int port) {
    }

    /**
     * The endpoints {@code domain} publishes, in the order to use them; never empty.
     *
     * @throws InvalidSettingException when the domain publishes none that may be used, or DNS does not answer
     */
    List<Target> find(String domain);
}
