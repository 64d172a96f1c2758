package io.submissionrouter.oauth;

import io.quarkus.oidc.client.OidcClient;
import io.quarkus.oidc.client.OidcClientConfigBuilder;
import io.quarkus.oidc.client.OidcClientException;
import io.quarkus.oidc.client.OidcClients;
import io.quarkus.oidc.client.Tokens;
import io.quarkus.oidc.client.runtime.OidcClientConfig;
import io.quarkus.oidc.client.runtime.TokensHelper;
import io.quarkus.oidc.common.runtime.config.OidcClientCommonConfig;
import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.config.TokenSource;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * XOAUTH2 tokens from an OAuth2 client-credentials grant, through Quarkus's OIDC client: one client per relay
 * group, created on first use (so the router starts while the token endpoint is away), its token kept and fetched
 * again {@code refresh-before} it expires (the client's refresh-token-time-skew). Concurrent sessions share one
 * request for a new token.
 */
@ApplicationScoped
public class OidcTokenSources implements TokenSource.Factory {

    private static final Logger LOG = Logger.getLogger(OidcTokenSources.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** The error codes of RFC 6749 5.2 that say the client's settings are wrong, in the endpoint's answer. */
    private static final Pattern REFUSED = Pattern.compile("\"error\"\\s*:\\s*\"(invalid_client|unauthorized_client|"
            + "invalid_scope|invalid_grant|invalid_request|unsupported_grant_type)\"");

    private final OidcClients clients;

    public OidcTokenSources(OidcClients clients) {
        this.clients = clients;
    }

    @Override
    public TokenSource create(String setting, SubmissionConfig.OAuth2 settings) {
        OidcClientConfig config = new OidcClientConfigBuilder()
                .id(setting)
                .tokenPath(settings.tokenUrl().orElseThrow().strip())
                .discoveryEnabled(false)
                .clientId(settings.clientId().orElseThrow())
                .credentials().clientSecret(settings.clientSecret().orElseThrow(),
                        OidcClientCommonConfig.Credentials.Secret.Method.POST).end()
                .scopes(settings.scope().orElse(List.of()))
                .grant(OidcClientConfig.Grant.Type.CLIENT)
                .refreshTokenTimeSkew(settings.refreshBefore())
                .connectionTimeout(TIMEOUT)
                .build();
        return new Source(setting, config);
    }

    private final class Source implements TokenSource {
        private final String setting;
        private final OidcClientConfig config;
        private final TokensHelper tokens = new TokensHelper();
        private OidcClient client;

        Source(String setting, OidcClientConfig config) {
            this.setting = setting;
            this.config = config;
        }

        @Override
        public String token() {
            try {
                Tokens t = tokens.getTokens(client()).await().atMost(TIMEOUT);
                return t.getAccessToken();
            } catch (OidcClientException e) {
                // an OAuth2 error answer (RFC 6749 5.2: invalid_client, invalid_scope, ...) means the settings are
                // wrong; anything else (the server unreachable or failing) that the token endpoint is down for now
                LOG.debugf(e, "token request of %s failed", setting);
                boolean refused = REFUSED.matcher(String.valueOf(e.getMessage())).find();
                throw new TokenUnavailable(setting + ".token-url " + (refused ? "refused the client: " : "failed: ")
                        + e.getMessage(), refused);
            } catch (RuntimeException e) {
                LOG.debugf(e, "token request of %s failed", setting);
                throw new TokenUnavailable(setting + ".token-url could not be asked: " + e, false);
            }
        }

        /** Created on first use, and again after a failed creation: the router starts while the endpoint is away. */
        private synchronized OidcClient client() {
            if (client == null) {
                client = clients.newClient(config).await().atMost(TIMEOUT);
            }
            return client;
        }
    }
}
