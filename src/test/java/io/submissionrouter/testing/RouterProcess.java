package io.submissionrouter.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * The packaged router ({@code target/quarkus-app/quarkus-run.jar}) as a separate process, configured only
 * through the contract's environment variables, against the test broker and SMTP servers.
 */
public final class RouterProcess {

    private final Map<String, String> env;
    private final Path log;
    private final int httpPort;
    /** Quarkus' management interface: /q/health and /q/metrics (README, "Who can reach what"). */
    private final int managementPort;
    private Process process;

    public RouterProcess(EmbeddedKafka kafka, TestSmtpServer primary, TestSmtpServer fallback, Path log) {
        this(kafka, primary, fallback, log, Map.of());
    }

    /** As above, with more (or overriding) environment variables. */
    public RouterProcess(EmbeddedKafka kafka, TestSmtpServer primary, TestSmtpServer fallback, Path log,
            Map<String, String> extraEnv) {
        this.log = log;
        this.httpPort = freePort();
        this.managementPort = freePort();
        Map<String, String> all = new java.util.HashMap<>(Map.ofEntries(
                Map.entry("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers()),
                Map.entry("QUARKUS_HTTP_PORT", String.valueOf(httpPort)),
                Map.entry("QUARKUS_MANAGEMENT_PORT", String.valueOf(managementPort)),
                Map.entry("SUBMISSION_SMTP_PRIMARY_HOST", "127.0.0.1"),
                Map.entry("SUBMISSION_SMTP_PRIMARY_PORT", String.valueOf(primary.port())),
                Map.entry("SUBMISSION_SMTP_FALLBACK_PORT", String.valueOf(fallback.port())),
                Map.entry("SUBMISSION_SMTP_USERNAME", TestSmtpServer.USER),
                Map.entry("SUBMISSION_SMTP_PASSWORD", TestSmtpServer.PASSWORD),
                Map.entry("SUBMISSION_SMTP_TRUST_PEM", trustPem().toString()),
                Map.entry("SUBMISSION_MESSAGE_ID_DOMAIN", "router.test"),
                // DNS checks are covered by the in-JVM tests; the process tests are about crashes
                Map.entry("SUBMISSION_DNS_MX_CHECK", "off")));
        all.putAll(extraEnv);
        this.env = Map.copyOf(all);
    }

    private RouterProcess(Map<String, String> env, Path log) {
        this.log = log;
        this.httpPort = freePort();
        this.managementPort = freePort();
        Map<String, String> all = new java.util.HashMap<>(env);
        all.put("QUARKUS_HTTP_PORT", String.valueOf(httpPort));
        all.put("QUARKUS_MANAGEMENT_PORT", String.valueOf(managementPort));
        this.env = Map.copyOf(all);
    }

    /**
     * The router against the local Postfix of {@code bench/lib/local-mta.sh} (user router, its CA, Message-IDs
     * on mta.test), with {@code extra} settings.
     */
    public static RouterProcess forLocalMta(EmbeddedKafka kafka, Map<String, String> extra, Path log) {
        Map<String, String> env = new java.util.HashMap<>(Map.of(
                "KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers(),
                "SUBMISSION_SMTP_PRIMARY_HOST", "127.0.0.1",
                "SUBMISSION_SMTP_USERNAME", "router",
                "SUBMISSION_SMTP_PASSWORD", System.getenv().getOrDefault("MTA_PASSWORD", "mta-Pa55word"),
                "SUBMISSION_SMTP_TRUST_PEM", System.getenv().getOrDefault("MTA_CA_PEM", "src/test/resources/tls/smtp-ca.pem"),
                "SUBMISSION_MESSAGE_ID_DOMAIN", "mta.test"));
        env.putAll(extra);
        return new RouterProcess(env, log);
    }

    /** The router configured by {@code env} alone (an MTA outside the tests, say); the HTTP port is chosen here. */
    public static RouterProcess withEnvironment(Map<String, String> env, Path log) {
        return new RouterProcess(env, log);
    }

    /** Starts the router and waits until it is ready (its intake consumes). */
    public void start() throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", "target/quarkus-app/quarkus-run.jar");
        pb.environment().putAll(env);
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Files.writeString(log, "---- start " + Instant.now() + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        process = pb.start();
        awaitReady();
    }

    /** SIGKILL: no shutdown hook, no commit, nothing finished. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    /** SIGTERM: graceful shutdown. Returns the exit code. */
    public int terminate(Duration within) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(within.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("the router did not stop within " + within);
        }
        return process.exitValue();
    }

    /** The router's process id (for jcmd and /proc). */
    public long pid() {
        return process.pid();
    }

    /**
     * The HTTP status of a GET, such as 200 or 503 for {@code /q/health/ready}: {@code /q/...} on the management
     * port, anything else ({@code /admin/...}) on the HTTP port.
     */
    public int status(String path) throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri(path)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /** {@code path} on the port that serves it. */
    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + (path.startsWith("/q/") ? managementPort : httpPort) + path);
    }

    /** The body of a GET (on the port that serves the path), with {@code Authorization: Bearer <token>} unless null. */
    public String get(String path, String token) throws IOException, InterruptedException {
        return call("GET", path, token).body();
    }

    /** A POST (on the port that serves the path), with {@code Authorization: Bearer <token>} unless null. */
    public HttpResponse<String> post(String path, String token) throws IOException, InterruptedException {
        return call("POST", path, token);
    }

    private HttpResponse<String> call(String method, String path, String token) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    private void awaitReady() throws InterruptedException {
        HttpClient http = HttpClient.newHttpClient();
        Instant deadline = Instant.now().plusSeconds(60);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the router exited; see " + log);
            }
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(uri("/q/health/ready")).build(),
                        HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("the router did not get ready; see " + log);
    }

    /** The test servers' CA certificate as a file (it is a class-path resource), for trust-pem settings. */
    public static Path trustPem() {
        try (InputStream in = RouterProcess.class.getResourceAsStream("/tls/smtp-ca.pem")) {
            Path pem = Files.createTempFile("router-ca", ".pem");
            Files.copy(in, pem, StandardCopyOption.REPLACE_EXISTING);
            return pem;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
