package io.submissionrouter.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.subethamail.smtp.MessageContext;
import org.subethamail.smtp.MessageHandler;
import org.subethamail.smtp.RejectException;
import org.subethamail.smtp.auth.EasyAuthenticationHandlerFactory;
import org.subethamail.smtp.auth.LoginFailedException;
import org.subethamail.smtp.auth.MultipleAuthenticationHandlerFactory;
import org.subethamail.smtp.server.SMTPServer;

/**
 * A real SMTP submission server for tests (subethasmtp: STARTTLS required, AUTH required) behind a
 * switchable front on a fixed loopback port, so one endpoint can refuse connections, drop them
 * (connect timeout), accept and stay silent, greet with 421 or offer no STARTTLS, and come back.
 * <p>
 * Faults inside a session are steered by the message itself: a recipient whose local part starts with
 * {@code reject} gets 550 and one starting with {@code defer} gets 451 at RCPT; an {@code X-Test-Fault}
 * header of {@code data-451} gets 451 after the final dot, {@code data-451-once} only the first time a
 * Message-ID is seen, {@code slow-dot-N} answers the final dot after N milliseconds, and
 * {@code drop-after-dot} ({@code drop-after-dot-once}) takes the whole message, then cuts the connection
 * without answering the dot.
 */
public final class TestSmtpServer implements AutoCloseable {

    /** What the front does with a new connection. */
    public enum Mode { UP, REFUSE, DROP, SILENT, GREET_421, NO_STARTTLS, CHAOS }

    /**
     * Fault rates of {@link Mode#CHAOS}, each a probability per connection (cut at once, hang silently)
     * or per message (451 after the dot, connection cut after the dot without a reply).
     */
    public record Chaos(double cut, double hang, double transient451, double dropAfterDot) {
    }

    /** A message as the server received it. */
    public record Received(String from, List<String> recipients, byte[] data, java.time.Instant at) {
        public String text() {
            return new String(data, StandardCharsets.ISO_8859_1);
        }
    }

    public static final String USER = "router";
    public static final String PASSWORD = "s3cret-Pa55";

    private static final Pattern FAULT = Pattern.compile("(?m)^X-Test-Fault: (\\S+)\\r?$");

    private final String name;
    private final int port;
    private final SMTPServer tlsBackend;
    private final SMTPServer plainBackend;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final List<Received> receivedInPlaintext = new CopyOnWriteArrayList<>();
    private final Set<String> seenMessageIds = ConcurrentHashMap.newKeySet();
    private final Set<String> droppedMessageIds = ConcurrentHashMap.newKeySet();
    /** Proxied connections by the local port of the front's connection to the backend. */
    private final Map<Integer, List<Socket>> proxied = new ConcurrentHashMap<>();
    private final List<Socket> held = new CopyOnWriteArrayList<>();
    private final Set<Socket> frozen = ConcurrentHashMap.newKeySet();
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "test-smtp-front");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean authFails;
    /** Set for a server with TLS from the first byte (465-style); null for STARTTLS. */
    private final SSLContext implicitTls;
    private volatile java.util.function.Predicate<String> bearerValid = token -> false;
    private final List<String> bearerLogins = new CopyOnWriteArrayList<>();
    private final java.util.concurrent.atomic.AtomicInteger throttleNext = new java.util.concurrent.atomic.AtomicInteger();
    private volatile String throttleReply = "";
    private volatile boolean offerSmtpUtf8 = true;
    private volatile boolean keepMessages = true;
    private final java.util.concurrent.atomic.AtomicLong delivered = new java.util.concurrent.atomic.AtomicLong();
    private volatile java.time.Instant firstDelivery;
    private final java.util.concurrent.atomic.AtomicInteger logins = new java.util.concurrent.atomic.AtomicInteger();
    private volatile Mode mode = Mode.UP;
    private volatile Chaos chaos = new Chaos(0, 0, 0, 0);
    private final java.util.Random random = new java.util.Random(42);
    private ServerSocket front;

    private TestSmtpServer(String name, ServerSocket front, String keystore, boolean implicitTls) {
        this.name = name;
        this.port = front.getLocalPort();
        this.front = front;
        this.implicitTls = implicitTls ? sslContext(keystore) : null;
        this.tlsBackend = backend(true, received, keystore);
        // behind implicit TLS, the session inside the TLS tunnel is the one that counts
        this.plainBackend = backend(false, implicitTls ? received : receivedInPlaintext, keystore);
    }

    /**
     * Starts a server with TLS from the first byte, as on port 465 (RFC 8314): the front completes the TLS
     * handshake, then the SMTP session (without STARTTLS, AUTH required) runs inside it.
     */
    public static TestSmtpServer startImplicitTls(String name) {
        TestSmtpServer server = new TestSmtpServer(name, bind(0, 50), "/tls/smtp-server.p12", true);
        server.tlsBackend.start();
        server.plainBackend.start();
        server.serveOn(server.front);
        return server;
    }

    /** Makes AUTH XOAUTH2 accept the tokens {@code valid} accepts (none by default). */
    public void acceptBearer(java.util.function.Predicate<String> valid) {
        this.bearerValid = valid;
    }

    /** The XOAUTH2 logins accepted, as {@code <user> <token>}. */
    public List<String> bearerLogins() {
        return List.copyOf(bearerLogins);
    }

    /** Starts a server on a free loopback port. */
    public static TestSmtpServer start(String name) {
        return start(name, "/tls/smtp-server.p12");
    }

    /** Starts a server presenting the certificate in {@code keystore} (a PKCS12 test resource). */
    public static TestSmtpServer start(String name, String keystore) {
        // The front binds first and keeps its port across mode switches, so nothing else can take it.
        TestSmtpServer server = new TestSmtpServer(name, bind(0, 50), keystore, false);
        server.tlsBackend.start();
        server.plainBackend.start();
        server.serveOn(server.front);
        return server;
    }

    public String name() {
        return name;
    }

    public int port() {
        return port;
    }

    public Mode mode() {
        return mode;
    }

    public List<Received> received() {
        return received;
    }

    /** Messages that reached the server without TLS (must stay empty). */
    public List<Received> receivedInPlaintext() {
        return receivedInPlaintext;
    }

    /**
     * Answers the next {@code messages} MAIL commands (after AUTH) with {@code reply}, such as
     * {@code 454 4.7.0 Throttling failure: Maximum sending rate exceeded}: a provider throttling the client.
     */
    public void throttleNext(int messages, String reply) {
        throttleReply = reply;
        throttleNext.set(messages);
    }

    /** Makes AUTH answer 535 for every login; the sessions open now are cut (the credentials were revoked). */
    public void authFails(boolean fails) {
        this.authFails = fails;
        if (fails) {
            cutAll();
        }
    }

    /** Keeps every message received ({@link #received()}); off, a benchmark's sink only counts them. */
    public void keepMessages(boolean keep) {
        this.keepMessages = keep;
    }

    /** Messages accepted since start or {@link #reset()}, kept or not. */
    public long delivered() {
        return delivered.get();
    }

    /** When the first message since start or {@link #reset()} was accepted; null before. */
    public java.time.Instant firstDelivery() {
        return firstDelivery;
    }

    /** Successful AUTH commands since start or {@link #reset()}: one per session. */
    public int logins() {
        return logins.get();
    }

    /** Cuts every open session without a reply, as a server that closes idle connections or restarts does. */
    public void cutAll() {
        proxied.values().forEach(sockets -> sockets.forEach(TestSmtpServer::closeQuietly));
        proxied.clear();
    }

    /** Open sessions stop passing bytes either way, without closing: what dropped packets look like. */
    public void freezeAll() {
        proxied.values().forEach(frozen::addAll);
    }

    /** Whether EHLO lists SMTPUTF8 (RFC 6531); it does by default. */
    public void offerSmtpUtf8(boolean offer) {
        this.offerSmtpUtf8 = offer;
    }

    /**
     * Switches what the front does with new connections. Switching to a fault also cuts the sessions open
     * now (a server that goes down takes them with it), or with {@link Mode#DROP} freezes them (nothing goes
     * through either way, as when packets are dropped); existing silent connections are closed.
     */
    public synchronized void mode(Mode newMode) {
        if (newMode == mode && newMode == Mode.UP && front != null) {
            return;
        }
        closeFront();
        if (newMode == Mode.DROP) {
            freezeAll(); // packets dropped: open sessions hang, as with iptables DROP
        } else if (newMode != Mode.UP && newMode != Mode.CHAOS) {
            cutAll(); // a server that goes down takes its open sessions with it, pooled ones included
        }
        this.mode = newMode;
        switch (newMode) {
            case REFUSE -> awaitRefused(); // a listener closed under a blocked accept() may still take one
            case DROP -> front = dropping();
            default -> front = serveOn(bind(port, 50));
        }
    }

    /** Waits until a connection to the port is refused (closing a listener completes asynchronously). */
    private void awaitRefused() {
        for (int i = 0; i < 100; i++) {
            try (Socket probe = new Socket()) {
                probe.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
            } catch (IOException refused) {
                return;
            }
            sleep(20);
        }
    }

    /** Switches to {@link Mode#CHAOS} with these fault rates. */
    public void chaos(Chaos rates) {
        this.chaos = rates;
        mode(Mode.CHAOS);
    }

    public void reset() {
        mode(Mode.UP);
        authFails = false;
        throttleNext.set(0);
        bearerLogins.clear();
        offerSmtpUtf8 = true;
        logins.set(0);
        delivered.set(0);
        firstDelivery = null;
        received.clear();
        receivedInPlaintext.clear();
    }

    private ServerSocket serveOn(ServerSocket socket) {
        pool.execute(() -> {
            while (!socket.isClosed()) {
                try {
                    Socket client = socket.accept();
                    pool.execute(() -> serve(client));
                } catch (IOException e) {
                    return;
                }
            }
        });
        return socket;
    }

    /** A listener that never accepts, its accept queue full: further SYNs are dropped (connect timeout). */
    private ServerSocket dropping() {
        ServerSocket socket = bind(port, 1);
        for (int i = 0; i < 8; i++) {
            Socket filler = new Socket();
            try {
                filler.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
                held.add(filler);
            } catch (IOException e) {
                closeQuietly(filler);
                break; // the queue is full
            }
        }
        return socket;
    }

    private void serve(Socket client) {
        Mode m = mode;
        if (m == Mode.CHAOS) {
            double r = random.nextDouble();
            m = r < chaos.cut() ? Mode.GREET_421 : r < chaos.cut() + chaos.hang() ? Mode.SILENT : Mode.UP;
            if (m == Mode.GREET_421) {
                closeQuietly(client); // cut before the greeting
                return;
            }
        }
        try {
            switch (m) {
                case SILENT -> held.add(client);
                case GREET_421 -> {
                    client.getOutputStream().write(
                            "421 4.3.2 Service not available, closing transmission channel\r\n".getBytes(StandardCharsets.US_ASCII));
                    client.close();
                }
                case NO_STARTTLS -> proxy(client, plainBackend.getPortAllocated());
                default -> {
                    if (implicitTls != null) {
                        javax.net.ssl.SSLSocket tls = (javax.net.ssl.SSLSocket) implicitTls.getSocketFactory()
                                .createSocket(client, null, client.getPort(), true);
                        tls.setUseClientMode(false);
                        tls.startHandshake();
                        proxy(tls, plainBackend.getPortAllocated());
                    } else {
                        proxy(client, tlsBackend.getPortAllocated());
                    }
                }
            }
        } catch (IOException e) {
            closeQuietly(client);
        }
    }

    private void proxy(Socket client, int backendPort) throws IOException {
        Socket backend = new Socket(InetAddress.getLoopbackAddress(), backendPort);
        proxied.put(backend.getLocalPort(), List.of(client, backend));
        pool.execute(() -> pump(client, backend));
        pool.execute(() -> pump(backend, client));
    }

    private void pump(Socket from, Socket to) {
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            byte[] buffer = new byte[8192];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                if (frozen.contains(from) || frozen.contains(to)) {
                    continue; // dropped
                }
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException ignored) {
            // one side closed
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    /** Binds, retrying briefly: closing a socket with a thread blocked in accept() completes asynchronously. */
    private static ServerSocket bind(int port, int backlog) {
        IOException last = null;
        for (int i = 0; i < 100; i++) {
            try {
                ServerSocket socket = new ServerSocket();
                socket.setReuseAddress(true);
                try {
                    socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), backlog);
                    return socket;
                } catch (IOException e) {
                    socket.close();
                    throw e;
                }
            } catch (IOException e) {
                last = e;
                sleep(20);
            }
        }
        throw new IllegalStateException("cannot listen on " + port, last);
    }

    private void closeFront() {
        if (front != null) {
            closeQuietly(front);
            front = null;
        }
        held.forEach(TestSmtpServer::closeQuietly);
        held.clear();
        frozen.forEach(TestSmtpServer::closeQuietly);
        frozen.clear();
    }

    private SMTPServer backend(boolean tls, List<Received> sink, String keystore) {
        SMTPServer.Builder b = SMTPServer.port(0)
                .bindAddress(InetAddress.getLoopbackAddress())
                .hostName(name + ".test")
                .messageHandlerFactory(ctx -> new Handler(ctx, sink))
                .authenticationHandlerFactory(new MultipleAuthenticationHandlerFactory(List.of(
                        new EasyAuthenticationHandlerFactory(this::login), new Xoauth2())))
                .requireAuth();
        if (tls) {
            b.enableTLS().requireTLS().startTlsSocketFactory(sslContext(keystore));
        }
        SMTPServer server = b.build();
        server.getCommandHandler().addCommand(new SwitchableEhlo(() -> offerSmtpUtf8));
        return server;
    }

    private void login(String user, String password, MessageContext ctx) throws LoginFailedException {
        if (authFails || !USER.equals(user) || !PASSWORD.equals(password)) {
            throw new LoginFailedException();
        }
        logins.incrementAndGet();
    }

    /**
     * AUTH XOAUTH2 as Microsoft 365 and Gmail take it: {@code base64("user=" u ^A "auth=Bearer " token ^A ^A)}, with
     * the initial response on the AUTH line or after an empty 334 challenge.
     */
    private final class Xoauth2 implements org.subethamail.smtp.AuthenticationHandlerFactory {
        @Override
        public List<String> getAuthenticationMechanisms() {
            return List.of("XOAUTH2");
        }

        @Override
        public org.subethamail.smtp.AuthenticationHandler create() {
            return new org.subethamail.smtp.AuthenticationHandler() {
                private String identity;

                @Override
                public java.util.Optional<String> auth(String clientInput, MessageContext context) throws RejectException {
                    String[] words = clientInput.trim().split("\\s+");
                    String response = words[0].equalsIgnoreCase("AUTH") ? (words.length > 2 ? words[2] : null) : words[0];
                    if (response == null) {
                        return java.util.Optional.of("334 ");
                    }
                    String decoded;
                    try {
                        decoded = new String(java.util.Base64.getDecoder().decode(response), StandardCharsets.UTF_8);
                    } catch (IllegalArgumentException e) {
                        throw new RejectException(501, "5.5.2 cannot decode the response");
                    }
                    Matcher m = Pattern.compile("^user=([^\\x01]*)\\x01auth=Bearer ([^\\x01]*)\\x01\\x01$").matcher(decoded);
                    if (authFails || !m.matches() || !bearerValid.test(m.group(2))) {
                        throw new RejectException(535, "5.7.3 Authentication unsuccessful");
                    }
                    identity = m.group(1);
                    bearerLogins.add(m.group(1) + " " + m.group(2));
                    logins.incrementAndGet();
                    return java.util.Optional.empty();
                }

                @Override
                public Object getIdentity() {
                    return identity;
                }
            };
        }
    }

    /** Cuts the client's connection of the session {@code ctx} belongs to, without a reply. */
    private void cut(MessageContext ctx) {
        List<Socket> sockets = proxied.remove(((InetSocketAddress) ctx.getRemoteAddress()).getPort());
        if (sockets != null) {
            sockets.forEach(TestSmtpServer::closeQuietly);
        }
    }

    private final class Handler implements MessageHandler {
        private final List<Received> sink;
        private final MessageContext ctx;
        private String from;
        private final List<String> recipients = new ArrayList<>();

        Handler(MessageContext ctx, List<Received> sink) {
            this.ctx = ctx;
            this.sink = sink;
        }

        @Override
        public void from(String from) throws RejectException {
            if (throttleNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                int space = throttleReply.indexOf(' ');
                throw new RejectException(Integer.parseInt(throttleReply.substring(0, space)),
                        throttleReply.substring(space + 1));
            }
            this.from = from;
        }

        @Override
        public void recipient(String recipient) throws RejectException {
            String local = recipient.substring(0, Math.max(0, recipient.indexOf('@')));
            if (local.startsWith("reject")) {
                throw new RejectException(550, "5.1.1 <" + recipient + ">: Recipient address rejected: User unknown");
            }
            if (local.startsWith("defer")) {
                throw new RejectException(451, "4.2.0 <" + recipient + ">: try again later");
            }
            recipients.add(recipient);
        }

        @Override
        public String data(InputStream data) throws RejectException, IOException {
            byte[] bytes = readAll(data);
            String text = new String(bytes, StandardCharsets.ISO_8859_1);
            Matcher m = FAULT.matcher(text);
            String fault = m.find() ? m.group(1) : "";
            if (fault.equals("data-451")) {
                throw new RejectException(451, "4.3.0 Error: queue file write error");
            }
            if (fault.equals("data-451-once") && seenMessageIds.add(messageId(text))) {
                throw new RejectException(451, "4.3.0 Error: queue file write error");
            }
            if (mode == Mode.CHAOS && random.nextDouble() < chaos.transient451()) {
                throw new RejectException(451, "4.3.0 Error: queue file write error (chaos)");
            }
            if (fault.startsWith("slow-dot-")) {
                sleep(Long.parseLong(fault.substring("slow-dot-".length())));
            }
            if (delivered.getAndIncrement() == 0) {
                firstDelivery = java.time.Instant.now();
            }
            if (keepMessages) {
                sink.add(new Received(from, List.copyOf(recipients), bytes, java.time.Instant.now()));
            }
            if (fault.equals("drop-after-dot")
                    || (fault.equals("drop-after-dot-once") && droppedMessageIds.add(messageId(text)))
                    || (mode == Mode.CHAOS && random.nextDouble() < chaos.dropAfterDot())) {
                cut(ctx); // the message was taken; the client never hears so
            }
            return "2.0.0 Ok: queued as " + Integer.toHexString(text.hashCode());
        }

        @Override
        public void done() {
        }
    }

    private static String messageId(String text) {
        Matcher m = Pattern.compile("(?im)^Message-ID: (\\S+)").matcher(text);
        return m.find() ? m.group(1) : "";
    }

    private static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        in.transferTo(out);
        return out.toByteArray();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static SSLContext sslContext(String keystore) {
        try (InputStream in = TestSmtpServer.class.getResourceAsStream(keystore)) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, "changeit".toCharArray());
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, "changeit".toCharArray());
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), null, null);
            return context;
        } catch (Exception e) {
            throw new IllegalStateException("cannot load the test server's TLS key", e);
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing
        }
    }

    @Override
    public synchronized void close() {
        closeFront();
        tlsBackend.stop();
        plainBackend.stop();
        pool.shutdownNow();
    }
}
