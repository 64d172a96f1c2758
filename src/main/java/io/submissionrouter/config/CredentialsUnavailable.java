package io.submissionrouter.config;

/**
 * An endpoint's AUTH credentials cannot be had for this session: a configured file cannot be read or is empty, or
 * no XOAUTH2 token could be obtained. The session is then not opened: a wrong setting is a {@code config_error}
 * (CONTRACT 5.2, never a silent session without AUTH), a token endpoint that cannot be reached leaves the endpoint
 * down for now.
 */
public class CredentialsUnavailable extends RuntimeException {

    private final boolean configError;

    /**
     * @param message     names the setting to check, never a secret
     * @param configError a setting is wrong (as opposed to a service being unreachable)
     */
    public CredentialsUnavailable(String message, boolean configError) {
        super(message, null, false, false);
        this.configError = configError;
    }

    public boolean configError() {
        return configError;
    }
}
