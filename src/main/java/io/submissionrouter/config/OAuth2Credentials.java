package io.submissionrouter.config;

import io.submissionrouter.config.SessionSettings.Credentials;
import java.util.Optional;
import java.util.function.Supplier;

/** XOAUTH2 credentials: the mailbox's user name and a current access token in place of a password. */
public final class OAuth2Credentials implements Supplier<Optional<Credentials>> {

    private final String username;
    private final TokenSource tokens;

    public OAuth2Credentials(String username, TokenSource tokens) {
        this.username = username;
        this.tokens = tokens;
    }

    /** Throws {@link TokenSource.TokenUnavailable} when no token can be had. */
    @Override
    public Optional<Credentials> get() {
        return Optional.of(new Credentials(username, tokens.token()));
    }
}
