package io.submissionrouter.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real OAuth2 token endpoint on loopback (RFC 6749 4.4, client credentials in the body as Microsoft's identity
 * platform takes them): issues numbered access tokens that expire after {@link #expiresIn}, and tells whether a
 * token is one it issued and still valid, as a provider's SMTP server would.
 */
public final class TestTokenEndpoint implements AutoCloseable {

    public static final String CLIENT_ID = "router-app";
    public static final String CLIENT_SECRET = "app-s3cret";
    public static final String SCOPE = "https://outlook.office365.com/.default";

    private final HttpServer server;
    private final Map<String, Instant> expiries = new ConcurrentHashMap<>();
    private final List<String> issued = new CopyOnWriteArrayList<>();
    private final AtomicInteger counter = new AtomicInteger();
    private volatile Duration expiresIn = Duration.ofHours(1);
    private volatile boolean refuse;

    private TestTokenEndpoint(HttpServer server) {
        this.server = server;
    }

    public static TestTokenEndpoint start(Duration expiresIn) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
            TestTokenEndpoint endpoint = new TestTokenEndpoint(server);
            endpoint.expiresIn = expiresIn;
            server.createContext("/tenant/oauth2/v2.0/token", endpoint::token);
            server.start();
            return endpoint;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/tenant/oauth2/v2.0/token";
    }

    /** Answers every request {@code 401 invalid_client}, as for a revoked secret. */
    public void refuse(boolean refuse) {
        this.refuse = refuse;
    }

    /** Tokens issued so far, in order. */
    public List<String> issued() {
        return List.copyOf(issued);
    }

    /** A token this endpoint issued that has not expired. */
    public boolean valid(String token) {
        Instant expiry = expiries.get(token);
        return expiry != null && Instant.now().isBefore(expiry);
    }

    private void token(HttpExchange exchange) throws IOException {
        Map<String, String> form = form(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
        if (!exchange.getRequestMethod().equals("POST")) {
            answer(exchange, 405, "{\"error\":\"invalid_request\"}");
        } else if (refuse || !CLIENT_ID.equals(form.get("client_id")) || !CLIENT_SECRET.equals(form.get("client_secret"))) {
            answer(exchange, 401, "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000215: Invalid client secret\"}");
        } else if (!"client_credentials".equals(form.get("grant_type")) || !SCOPE.equals(form.get("scope"))) {
            answer(exchange, 400, "{\"error\":\"invalid_request\"}");
        } else {
            String token = "token-" + counter.incrementAndGet();
            expiries.put(token, Instant.now().plus(expiresIn));
            issued.add(token);
            answer(exchange, 200, "{\"token_type\":\"Bearer\",\"expires_in\":" + expiresIn.toSeconds()
                    + ",\"access_token\":\"" + token + "\"}");
        }
    }

    private static Map<String, String> form(String body) {
        Map<String, String> form = new HashMap<>();
        for (String pair : body.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                form.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return form;
    }

    private static void answer(HttpExchange exchange, int status, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
