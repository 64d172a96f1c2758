package io.submissionrouter.config;

/** Where an endpoint's XOAUTH2 access tokens come from: a token endpoint, asked again before each expires. */
@FunctionalInterface
public interface TokenSource {

    /** A valid access token; throws {@link TokenUnavailable} when none can be had. */
    String token();

    /** Creates the token source of a group's {@code oauth2} settings. */
    @FunctionalInterface
    interface Factory {
        TokenSource create(String setting, SubmissionConfig.OAuth2 settings);
    }

    /** No token could be had. */
    final class TokenUnavailable extends CredentialsUnavailable {
        /** @param refused the token endpoint refused the client (a wrong id, secret or scope): a config error */
        public TokenUnavailable(String message, boolean refused) {
            super(message, refused);
        }
    }
}
