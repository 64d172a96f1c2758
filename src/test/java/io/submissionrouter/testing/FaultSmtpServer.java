package io.submissionrouter.testing;

import java.io.*;
import java.net.*;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.*;
import java.util.concurrent.*;
import java.util.concurrent.atomic.*;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.*;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * A hand-written SMTP submission server for tests (RFC 5321; STARTTLS, RFC 3207; AUTH PLAIN and LOGIN, RFC 4954) on a
 * fixed loopback port, scripted to fail at exactly one step of a session. One daemon thread per connection.
 * <p>
 * {@code fault(step, nth, action, sessions)} makes the server do {@code action} instead of its normal answer at the
 * {@code nth} occurrence of {@code step} in a connection, counting from 1, for {@code sessions} connections
 * ({@link Integer#MAX_VALUE}: always); each connection that gets there uses one up. RCPT counts within the transaction
 * (from MAIL or RSET), the other steps within the connection: under STARTTLS EHLO 2 (HELO counts as EHLO) is the one
 * after TLS, and MAIL, DATA, BODY and DOT 2 belong to the second message of a kept session.
 * <ul>
 * <li>{@link Action#close()}: closes without a reply (TLS close_notify, then FIN). At BODY: reads the first
 * {@value #BODY_PEEK} bytes of the body, then resets the connection (SO_LINGER 0): the client's next write fails.</li>
 * <li>{@link Action#silent()}: never answers and stops reading; the connection stays open until {@link #reset()} or
 * {@link #close()}. At BODY after the first {@value #BODY_PEEK} bytes: with a 16 KiB receive buffer, a large body
 * blocks the client's writes once its own send buffer is full too, which Linux lets grow to tcp_wmem's maximum
 * (4 MiB by default) unless the client fixes SO_SNDBUF; a smaller message goes into the buffers whole, and the
 * client waits for the dot's reply instead.</li>
 * <li>{@link Action#reply(String)}: answers that line instead. A 2xx/3xx line lets the command take effect (the message
 * is stored, AUTH logs in, STARTTLS starts TLS), 4xx/5xx refuses it. The server closes the connection after a 421,
 * and after any 4xx/5xx greeting. At BODY the line goes out after the first {@value #BODY_PEEK} bytes; the rest of
 * the body is read and the dot gets no other answer.</li>
 * <li>{@link Action#refuse()}, {@link Action#drop()}: CONNECT only. With {@code sessions == MAX_VALUE} they are exact
 * and hold until {@link #clearFaults()} or {@link #reset()}: refuse closes the listener (connection refused), drop
 * listens with a full accept queue (the client's connect times out); then the same port is bound again. Attempts that
 * never reach the server cannot be counted, so a finite count acts on the first {@code sessions} accepted connections:
 * refuse resets them at once (SO_LINGER 0, no greeting), drop holds them open without a greeting (the client's read of
 * the greeting times out, not its connect). Neither counts in {@link #sessions()}.</li>
 * </ul>
 * A message is stored when the final dot is answered 2xx, and also under a DOT {@code close()} or {@code silent()}
 * (the server took it and the client never hears so). A recipient whose local part starts with {@code reject} gets
 * 550, one starting with {@code defer} 451, as with {@link TestSmtpServer}.
 */
public final class FaultSmtpServer implements AutoCloseable {

    /** The steps of a session a fault can be scripted at. */
    public enum Step { CONNECT, GREETING, EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA, BODY, DOT, RSET }

    /**
     * What the server does at a scripted step. The factories live here rather than on the server: a static
     * {@code FaultSmtpServer.close()} would clash with {@link FaultSmtpServer#close()}.
     */
    public sealed interface Action permits Close, Silent, Reply, Refuse, Drop, Delay, Drip, Trickle, Flood,
            StallHandshake {
        /** Closes the connection without a reply (at BODY: resets it after the first bytes of the body). */
        static Action close() { return new Close(); }
        /** Never answers and stops reading; the connection stays open until the server's reset() or close(). */
        static Action silent() { return new Silent(); }
        /** Answers {@code line}, such as {@code 451 4.3.0 try later}, instead of the normal reply. */
        static Action reply(String line) { return new Reply(line); }
        /** CONNECT only: connections are refused. */
        static Action refuse() { return new Refuse(); }
        /** CONNECT only: connections are never accepted, so the client's connect times out. */
        static Action drop() { return new Drop(); }
        /** Answers as usual, after {@code millis}: a slow server. */
        static Action delay(long millis) { return new Delay(millis); }
        /**
         * Never finishes the reply: sends the continuation line {@code line} (such as {@code 220-still here}) every
         * {@code millis}, until the client hangs up (or {@link #DRIP_FOR} has passed).
         */
        static Action drip(String line, long millis) { return new Drip(line, millis); }
        /**
         * Sends the normal reply one byte every {@code millis}; the command then takes effect. At BODY: reads the body
         * 4 KiB every {@code millis}, never to its end.
         */
        static Action trickle(long millis) { return new Trickle(millis); }
        /**
         * A reply line without end: sends bytes without a line break as fast as the client reads them, until it hangs
         * up or {@link #FLOOD_CAP} bytes went out; {@link #flooded()} counts them.
         */
        static Action flood() { return new Flood(); }
        /**
         * STARTTLS only (on a server with TLS from the first byte: the handshake before the greeting): answers 220
         * (implicit: nothing), then sends the start of a TLS record and one byte of it every {@code millis}, so the
         * client's handshake never completes while bytes keep coming.
         */
        static Action stallHandshake(long millis) { return new StallHandshake(millis); }
    }

    public record Close() implements Action { }
    public record Silent() implements Action { }
    public record Reply(String line) implements Action { }
    public record Refuse() implements Action { }
    public record Drop() implements Action { }
    public record Delay(long millis) implements Action { }
    public record Drip(String line, long millis) implements Action { }
    public record Trickle(long millis) implements Action { }
    public record Flood() implements Action { }
    public record StallHandshake(long millis) implements Action { }

    /** How long a {@link Drip} or {@link StallHandshake} goes on at most, if the client never hangs up. */
    public static final java.time.Duration DRIP_FOR = java.time.Duration.ofSeconds(90);
    /** The most bytes a {@link Flood} sends. */
    public static final long FLOOD_CAP = 64L * 1024 * 1024;

    /** A message as the server received it (dot-unstuffed, lines ending in CRLF). */
    public record Received(String from, List<String> recipients, byte[] data, Instant at) {
        /** The message as text (ISO-8859-1: one char per byte). */
        public String text() {
            return new String(data, StandardCharsets.ISO_8859_1);
        }

        /** The Message-ID header's value, or null without one. */
        public String messageId() {
            String text = text();
            int end = text.indexOf("\r\n\r\n");
            Matcher m = MESSAGE_ID.matcher(end < 0 ? text : text.substring(0, end));
            return m.find() ? m.group(1) : null;
        }
    }

    public static final String USER = TestSmtpServer.USER;
    public static final String PASSWORD = TestSmtpServer.PASSWORD;
    /** Bytes of the body read before a BODY fault acts. */
    public static final int BODY_PEEK = 512;

    private static final Pattern MESSAGE_ID = Pattern.compile("(?im)^Message-ID:[ \\t]*(\\S+)");
    private static final Pattern PATH = Pattern.compile("(?i)^(FROM|TO):\\s*<");
    private static final String OK = "250 2.0.0 Ok";

    private record Fault(Step step, int nth, Action action, AtomicInteger left) {
        boolean take(Step s, int n) {
            return s == step && n == nth && left.getAndUpdate(v -> v == Integer.MAX_VALUE ? v : Math.max(0, v - 1)) > 0;
        }
    }

    private enum Front { LISTEN, REFUSE, DROP }

    private final String host;
    private final boolean implicitTls;
    private final SSLContext tls = TestSmtpServer.sslContext("/tls/smtp-server.p12");
    private final int port;
    private final List<Fault> faults = new CopyOnWriteArrayList<>();
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final AtomicInteger sessions = new AtomicInteger();
    private final AtomicInteger logins = new AtomicInteger();
    private final AtomicInteger rsets = new AtomicInteger();
    private final AtomicLong flooded = new AtomicLong();
    private volatile int recipientLimit = Integer.MAX_VALUE;
    private volatile boolean holdOnQuit;
    private volatile String recipientLimitReply;
    private final Map<String, String> recipientAnswers = new ConcurrentHashMap<>();
    private final AtomicLong queueIds = new AtomicLong(0xA000);
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    /** Silent connections, raw socket to the socket in use: kept reachable, as JDK 17 closes a collected SSLSocket. */
    private final Map<Socket, Socket> held = new ConcurrentHashMap<>();
    private final List<Socket> fillers = new ArrayList<>();
    private final ExecutorService pool;
    private ServerSocket listener;
    private Future<?> acceptor;
    private Front front = Front.LISTEN;
    private boolean closed;

    private FaultSmtpServer(String name, boolean implicitTls) {
        this.host = name + ".test";
        this.implicitTls = implicitTls;
        this.pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "fault-smtp-" + name);
            t.setDaemon(true);
            return t;
        });
        ServerSocket first = bind(0, 50);
        this.listener = first;
        this.port = first.getLocalPort();
        this.acceptor = pool.submit(() -> acceptOn(first));
    }

    /** Starts a server with a plaintext greeting that requires STARTTLS before AUTH and MAIL (port 587 style). */
    public static FaultSmtpServer startStartTls(String name) { return new FaultSmtpServer(name, false); }

    /** Starts a server speaking TLS from the first byte (port 465 style); EHLO offers no STARTTLS. */
    public static FaultSmtpServer startImplicitTls(String name) { return new FaultSmtpServer(name, true); }

    /** Arms {@code action} at the {@code nth} {@code step} of a connection, for {@code sessions} connections. */
    public synchronized FaultSmtpServer fault(Step step, int nth, Action action, int sessions) {
        if ((step == Step.CONNECT) != (action instanceof Refuse || action instanceof Drop) || nth < 1 || sessions < 1
                || (step == Step.CONNECT || step == Step.GREETING) && nth != 1) {
            throw new IllegalArgumentException("no such fault: " + step + " " + nth + " " + action + " x" + sessions);
        }
        faults.add(new Fault(step, nth, action, new AtomicInteger(sessions)));
        relisten();
        return this;
    }

    /** Disarms every fault, listening again if a CONNECT fault stopped it; silent connections stay open. */
    public synchronized void clearFaults() {
        faults.clear();
        relisten();
    }

    /** Disarms every fault, closes the silent connections, and clears the counters and the received messages. */
    public synchronized void reset() {
        clearFaults();
        held.keySet().forEach(FaultSmtpServer::closeQuietly);
        open.removeAll(held.keySet());
        held.clear();
        sessions.set(0);
        logins.set(0);
        rsets.set(0);
        flooded.set(0);
        recipientLimit = Integer.MAX_VALUE;
        holdOnQuit = false;
        recipientAnswers.clear();
        received.clear();
    }

    /**
     * Takes at most {@code n} recipients a transaction, and answers {@code reply} (such as {@code 452 4.5.3 Too many
     * recipients}) to every RCPT after those, until {@link #reset()}.
     */
    public FaultSmtpServer recipientLimit(int n, String reply) {
        recipientLimitReply = reply;
        recipientLimit = n;
        return this;
    }

    /** Neither answers QUIT nor closes the connection (nor sends TLS close_notify), until {@link #reset()}. */
    public FaultSmtpServer holdOnQuit() {
        holdOnQuit = true;
        return this;
    }

    /** Answers {@code line} to every RCPT of exactly {@code address} (as sent, quotes included), until reset. */
    public FaultSmtpServer answerRecipient(String address, String line) {
        recipientAnswers.put(address, line);
        return this;
    }

    /** Bytes {@link Action#flood()} sent since start or {@link #reset()}, before the client hung up. */
    public long flooded() { return flooded.get(); }

    /** Cuts every open connection without a reply, kept sessions included, as a server that restarts does. */
    public synchronized void cutAll() {
        open.forEach(FaultSmtpServer::closeQuietly);
        open.clear();
        held.clear();
    }

    /** The loopback port, the same for the server's whole life. */
    public int port() { return port; }

    /** The host name the server greets and answers EHLO with: the name given plus {@code .test}. */
    public String host() { return host; }

    /** Connections accepted (other than those a finite CONNECT fault cut) since start or {@link #reset()}. */
    public int sessions() { return sessions.get(); }

    /** Successful AUTH exchanges since start or {@link #reset()}. */
    public int logins() { return logins.get(); }

    /** RSET commands received since start or {@link #reset()}. */
    public int rsets() { return rsets.get(); }

    /** A snapshot of the messages stored since start or {@link #reset()}, in order. */
    public List<Received> received() { return List.copyOf(received); }

    /** Stops listening and closes every connection. */
    @Override
    public synchronized void close() {
        closed = true;
        clearFaults(); // and stops listening
        open.forEach(FaultSmtpServer::closeQuietly); // silent ones included
        held.clear();
        pool.shutdownNow();
    }

    /** Puts the listener in the state the standing CONNECT faults (or {@link #close()}) ask for. */
    private synchronized void relisten() {
        Front wanted = closed ? Front.REFUSE : faults.stream()
                .filter(f -> f.step() == Step.CONNECT && f.left().get() == Integer.MAX_VALUE)
                .map(f -> f.action() instanceof Drop ? Front.DROP : Front.REFUSE).findFirst().orElse(Front.LISTEN);
        if (wanted == front) {
            return;
        }
        closeQuietly(listener);
        try {
            acceptor.get(5, TimeUnit.SECONDS); // with a thread in accept(), the socket only closes when it leaves
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // not listening anyway
        }
        fillers.forEach(FaultSmtpServer::closeQuietly);
        fillers.clear();
        listener = wanted == Front.REFUSE ? null : bind(port, wanted == Front.DROP ? 1 : 50);
        front = wanted;
        ServerSocket socket = listener;
        acceptor = wanted == Front.LISTEN
                ? pool.submit(() -> acceptOn(socket)) : CompletableFuture.completedFuture(null);
        for (int i = 0; wanted == Front.DROP && i < 8; i++) { // fill the never-served accept queue: SYNs are dropped
            Socket filler = new Socket();
            try {
                filler.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
                fillers.add(filler);
            } catch (IOException e) {
                closeQuietly(filler);
                break; // the queue is full
            }
        }
    }

    private void acceptOn(ServerSocket socket) {
        while (!socket.isClosed()) {
            try {
                Socket client = socket.accept();
                Action connect = take(Step.CONNECT, 1);
                if (connect instanceof Refuse) {
                    abort(client);
                    continue;
                }
                open.add(client);
                if (connect instanceof Drop) {
                    held.put(client, client);
                } else {
                    sessions.incrementAndGet();
                    pool.execute(() -> new Session(client).run());
                }
            } catch (IOException e) {
                return; // the listener was closed
            }
        }
    }

    private Action take(Step step, int nth) {
        return faults.stream().filter(f -> f.take(step, nth)).findFirst().map(Fault::action).orElse(null);
    }

    /** Ends a session whose connection was closed, or is held open silently. */
    private static final class Hangup extends RuntimeException {
        Hangup() { super(null, null, false, false); }
    }

    /** One connection. */
    private final class Session {
        private final Socket raw;
        private final int[] counts = new int[Step.values().length];
        private final List<String> recipients = new ArrayList<>();
        private Socket socket;
        private InputStream in;
        private OutputStream out;
        private boolean tlsActive, greeted, authenticated;
        private String from;

        Session(Socket raw) {
            this.raw = raw;
        }

        void run() {
            try {
                streams(raw);
                if (implicitTls) {
                    if (take(Step.STARTTLS, ++counts[Step.STARTTLS.ordinal()]) instanceof StallHandshake h) {
                        stallHandshake(h.millis());
                    }
                    startTls();
                }
                if (!positive(act(Step.GREETING, "220 " + host + " ESMTP FaultSmtpServer"))) {
                    throw hangUp(false); // as real servers do after a 554 greeting
                }
                for (String line = command(); line != null; line = command()) {
                    dispatch(line);
                }
            } catch (Hangup | IOException e) {
                // closed, held open, or lost
            } finally {
                if (!held.containsKey(raw)) {
                    closeQuietly(socket);
                    open.remove(raw);
                }
            }
        }

        private void dispatch(String line) throws IOException {
            String[] words = line.split(" ", 2);
            String verb = words[0].toUpperCase(Locale.ROOT);
            String arg = words.length > 1 ? words[1].trim() : "";
            switch (verb) {
                case "EHLO", "HELO" -> ehlo(verb.equals("EHLO"));
                case "STARTTLS" -> {
                    if (deny(tlsActive, "503 5.5.1 Error: TLS already active")) {
                        return;
                    }
                    Action a = take(Step.STARTTLS, ++counts[Step.STARTTLS.ordinal()]);
                    if (a instanceof StallHandshake h) {
                        send("220 2.0.0 Ready to start TLS");
                        stallHandshake(h.millis());
                    }
                    if (positive(act(a, "220 2.0.0 Ready to start TLS"))) {
                        startTls();
                    }
                }
                case "AUTH" -> auth(arg);
                case "MAIL" -> mail(arg);
                case "RCPT" -> rcpt(arg);
                case "DATA" -> data();
                case "RSET" -> {
                    rsets.incrementAndGet();
                    if (positive(act(Step.RSET, OK))) {
                        resetTransaction();
                    }
                }
                case "NOOP" -> send(OK);
                case "QUIT" -> {
                    if (holdOnQuit) {
                        held.put(raw, socket); // neither answers nor closes, until reset() or close()
                        throw new Hangup();
                    }
                    send("221 2.0.0 Bye");
                    throw hangUp(false);
                }
                default -> send("500 5.5.2 Error: command not recognized");
            }
        }

        private void ehlo(boolean extended) throws IOException {
            String reply = !extended ? "250 " + host : String.join("\r\n", "250-" + host, "250-8BITMIME",
                    "250-SMTPUTF8", "250-SIZE 52428800", tlsActive ? "250 AUTH PLAIN LOGIN" : "250 STARTTLS");
            if (positive(act(Step.EHLO, reply))) {
                greeted = true;
                resetTransaction();
            }
        }

        private void startTls() throws IOException {
            SSLSocket ssl = (SSLSocket) tls.getSocketFactory()
                    .createSocket(raw, raw.getInetAddress().getHostAddress(), raw.getPort(), true);
            ssl.setUseClientMode(false);
            socket = ssl; // from here on a close goes through TLS (close_notify)
            ssl.startHandshake();
            streams(ssl);
            tlsActive = true;
            greeted = false; // RFC 3207: the client starts over with EHLO
            authenticated = false;
            resetTransaction();
        }

        private void auth(String arg) throws IOException {
            if (refused(false) || deny(authenticated, "503 5.5.1 Error: already authenticated")) {
                return;
            }
            String[] words = arg.split(" ");
            String initial = words.length > 1 ? words[1] : null;
            String[] credentials; // user, password
            try {
                credentials = switch (words[0].toUpperCase(Locale.ROOT)) { // PLAIN: [authzid] NUL user NUL password
                    case "PLAIN" -> Arrays.copyOfRange(
                            decode(initial != null ? initial : challenge("334 ")).split("\0", -1), 1, 3);
                    case "LOGIN" -> new String[] {decode(initial != null ? initial : challenge("334 VXNlcm5hbWU6")),
                            decode(challenge("334 UGFzc3dvcmQ6"))};
                    default -> null;
                };
            } catch (IllegalArgumentException e) { // not base64, or the client sent "*"
                send("501 5.5.2 Cannot decode the response");
                return;
            }
            if (deny(credentials == null, "504 5.5.4 Unrecognized authentication type")) {
                return;
            }
            String normal = USER.equals(credentials[0]) && PASSWORD.equals(credentials[1])
                    ? "235 2.7.0 Authentication successful" : "535 5.7.8 Authentication credentials invalid";
            if (positive(act(Step.AUTH, normal))) {
                authenticated = true;
                logins.incrementAndGet();
            }
        }

        private void mail(String arg) throws IOException {
            String address = path(arg, "FROM");
            if (address != null && !deny(from != null, "503 5.5.1 Error: nested MAIL command")) {
                resetTransaction();
                if (positive(act(Step.MAIL, "250 2.1.0 Ok"))) {
                    from = address; // ESMTP parameters (SIZE=, BODY=8BITMIME, SMTPUTF8) are accepted and ignored
                }
            }
        }

        private void rcpt(String arg) throws IOException {
            String address = path(arg, "TO");
            if (address == null || deny(from == null, "503 5.5.1 Error: need MAIL command")) {
                return;
            }
            String local = unquoted(address.substring(0, Math.max(0, address.lastIndexOf('@'))));
            String normal = recipientAnswers.containsKey(address) ? recipientAnswers.get(address)
                    : recipients.size() >= recipientLimit ? recipientLimitReply
                    : local.startsWith("reject")
                    ? "550 5.1.1 <" + address + ">: Recipient address rejected: User unknown"
                    : local.startsWith("defer") ? "451 4.2.0 <" + address + ">: try again later" : "250 2.1.5 Ok";
            if (positive(act(Step.RCPT, normal))) {
                recipients.add(address);
            }
        }

        /**
         * The address in {@code FROM:<address>} or {@code TO:<address>}, as sent (a quoted local part keeps its quotes
         * and escapes: {@code "a>b"@example.org}); null (refused) out of turn or malformed.
         */
        private String path(String arg, String keyword) throws IOException {
            Matcher m = PATH.matcher(arg);
            String address = m.find() && m.group(1).equalsIgnoreCase(keyword) ? mailbox(arg.substring(m.end())) : null;
            String usage = (keyword.equals("FROM") ? "MAIL " : "RCPT ") + keyword + ":<address>";
            return refused(true) || deny(address == null, "501 5.5.4 Syntax: " + usage) ? null : address;
        }

        private void data() throws IOException {
            if (refused(true) || deny(from == null, "503 5.5.1 Error: need MAIL command")
                    || deny(recipients.isEmpty(), "554 5.5.1 Error: no valid recipients")
                    || !positive(act(Step.DATA, "354 End data with <CR><LF>.<CR><LF>"))) {
                return;
            }
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            Action bodyFault = take(Step.BODY, ++counts[Step.BODY.ordinal()]);
            if (bodyFault instanceof Trickle t) {
                slowReader(t.millis()); // reads 4 KiB of the body every t.millis(), never more
            }
            boolean complete = readBody(body, bodyFault == null ? Long.MAX_VALUE : BODY_PEEK);
            if (bodyFault instanceof Close) {
                throw hangUp(true);
            }
            if (bodyFault instanceof Reply) { // an early answer, standing for the dot's
                String early = act(bodyFault, null);
                if (!complete) {
                    readBody(body, Long.MAX_VALUE);
                }
                store(body, positive(early));
                return;
            }
            act(bodyFault, null); // silent holds the connection and ends the session here
            Action dotFault = take(Step.DOT, ++counts[Step.DOT.ordinal()]);
            store(body, !(dotFault instanceof Reply r) || positive(r.line())); // close and silent: stored, unanswered
            String queueId = Long.toHexString(queueIds.incrementAndGet()).toUpperCase(Locale.ROOT);
            act(dotFault, "250 2.0.0 Ok: queued as " + queueId);
        }

        private void store(ByteArrayOutputStream body, boolean keep) {
            if (keep) {
                received.add(new Received(from, List.copyOf(recipients), body.toByteArray(), Instant.now()));
            }
            resetTransaction(); // the transaction ends with the dot, whatever the answer
        }

        /** Reads body lines, dot-unstuffed, until the final dot (true) or at least {@code limit} bytes (false). */
        private boolean readBody(ByteArrayOutputStream body, long limit) throws IOException {
            while (body.size() < limit) {
                byte[] line = line();
                if (line == null) {
                    throw new EOFException("end of stream in DATA");
                } else if (line.length == 1 && line[0] == '.') {
                    return true;
                }
                int skip = line.length > 0 && line[0] == '.' ? 1 : 0;
                body.write(line, skip, line.length - skip);
                body.writeBytes(new byte[] {'\r', '\n'});
            }
            return false;
        }

        /** Answers the {@code step} with the fault due at this occurrence, or else with {@code normal}. */
        private String act(Step step, String normal) throws IOException {
            return act(take(step, ++counts[step.ordinal()]), normal);
        }

        /** Carries out {@code action} (null: answers {@code normal}, if any) and returns the line sent. */
        private String act(Action action, String normal) throws IOException {
            if (action instanceof Close) {
                throw hangUp(false);
            } else if (action instanceof Silent) {
                held.put(raw, socket); // never read or written again, until reset() or close()
                throw new Hangup();
            }
            if (action instanceof Drip d) {
                drip(d.line(), d.millis());
            } else if (action instanceof Flood) {
                flood();
            } else if (action instanceof Trickle t && normal != null) {
                trickle(normal, t.millis());
                if (normal.startsWith("421")) {
                    throw hangUp(false);
                }
                return normal;
            }
            if (action instanceof Delay d) {
                try {
                    Thread.sleep(d.millis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            String line = action instanceof Reply r ? r.line() : normal;
            if (line != null) {
                send(line);
            }
            if (line != null && line.startsWith("421")) {
                throw hangUp(false);
            }
            return line;
        }

        /** Takes the body 4 KiB every {@code millis} (with the 16 KiB receive buffer, the client's writes crawl). */
        private void slowReader(long millis) throws IOException {
            byte[] chunk = new byte[4096];
            long until = System.nanoTime() + DRIP_FOR.toNanos();
            while (System.nanoTime() - until < 0 && in.read(chunk) >= 0) {
                pause(millis);
            }
            throw hangUp(false);
        }

        /** A continuation line every {@code millis}, until the client hangs up; then the session ends. */
        private void drip(String line, long millis) throws IOException {
            long until = System.nanoTime() + DRIP_FOR.toNanos();
            while (System.nanoTime() - until < 0) {
                send(line);
                pause(millis);
            }
            throw hangUp(false);
        }

        /** {@code line} and its CRLF, one byte every {@code millis}. */
        private void trickle(String line, long millis) throws IOException {
            for (byte b : (line + "\r\n").getBytes(StandardCharsets.UTF_8)) {
                out.write(b);
                out.flush();
                pause(millis);
            }
        }

        /** A line without end, as fast as the client takes it, up to {@link #FLOOD_CAP}; then the session ends. */
        private void flood() throws IOException {
            byte[] chunk = new byte[16 * 1024];
            Arrays.fill(chunk, (byte) 'x');
            chunk[0] = '2';
            chunk[1] = '2';
            chunk[2] = '0';
            chunk[3] = ' ';
            while (flooded.get() < FLOOD_CAP) {
                out.write(chunk);
                out.flush();
                flooded.addAndGet(chunk.length);
                chunk[0] = chunk[1] = chunk[2] = chunk[3] = 'x';
            }
            throw hangUp(false);
        }

        /** The start of a TLS handshake record, then one byte of it every {@code millis}; the session then ends. */
        private void stallHandshake(long millis) throws IOException {
            OutputStream plain = raw.getOutputStream();
            plain.write(new byte[] {0x16, 0x03, 0x03, 0x40, 0x00}); // handshake record, 16 KiB to come
            plain.flush();
            long until = System.nanoTime() + DRIP_FOR.toNanos();
            while (System.nanoTime() - until < 0) {
                plain.write(0x02);
                plain.flush();
                pause(millis);
            }
            throw hangUp(true);
        }

        private void pause(long millis) {
            LockSupport.parkNanos(millis * 1_000_000L);
        }

        /** Closes the connection: gracefully (TLS close_notify, FIN) or with a reset (SO_LINGER 0, RST). */
        private Hangup hangUp(boolean reset) {
            if (reset) {
                abort(raw);
            } else {
                closeQuietly(socket);
            }
            return new Hangup();
        }

        /** Refuses a command that needs EHLO, TLS and (with {@code needAuth}) AUTH first. */
        private boolean refused(boolean needAuth) throws IOException {
            return deny(!greeted, "503 5.5.1 Error: send HELO/EHLO first")
                    || deny(!tlsActive, "530 5.7.0 Must issue a STARTTLS command first")
                    || deny(needAuth && !authenticated, "530 5.7.0 Authentication required");
        }

        private boolean deny(boolean condition, String reply) throws IOException {
            if (condition) {
                send(reply);
            }
            return condition;
        }

        private void resetTransaction() {
            from = null;
            recipients.clear();
            counts[Step.RCPT.ordinal()] = 0;
        }

        private String challenge(String prompt) throws IOException {
            send(prompt);
            String answer = command();
            if (answer == null || answer.equals("*")) {
                throw new IllegalArgumentException("AUTH cancelled");
            }
            return answer;
        }

        private void streams(Socket s) throws IOException {
            socket = s;
            in = new BufferedInputStream(s.getInputStream());
            out = s.getOutputStream();
        }

        private void send(String line) throws IOException {
            out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        }

        private String command() throws IOException {
            byte[] line = line();
            return line == null ? null : new String(line, StandardCharsets.UTF_8);
        }

        /** One line without its CRLF (or bare LF); null at the end of the stream. */
        private byte[] line() throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream(128);
            int b;
            while ((b = in.read()) >= 0 && b != '\n') {
                line.write(b);
            }
            byte[] bytes = line.toByteArray();
            int n = bytes.length;
            return b < 0 && n == 0 ? null : n > 0 && bytes[n - 1] == '\r' ? Arrays.copyOf(bytes, n - 1) : bytes;
        }
    }

    /**
     * The mailbox at the start of {@code rest} (what follows {@code <} in a path), up to its closing {@code >}: a
     * quoted local part (RFC 5321 4.1.2) may hold {@code >}, spaces and backslash escapes. Null when malformed.
     */
    static String mailbox(String rest) {
        int i = 0;
        if (rest.startsWith("\"")) {
            for (i = 1; i < rest.length() && rest.charAt(i) != '"'; i++) {
                if (rest.charAt(i) == '\\') {
                    i++;
                }
            }
            i++;
        }
        int end = rest.indexOf('>', Math.min(i, rest.length()));
        return end < 0 ? null : rest.substring(0, end);
    }

    /** A local part without its quotes and escapes. */
    static String unquoted(String local) {
        if (local.length() < 2 || !local.startsWith("\"") || !local.endsWith("\"")) {
            return local;
        }
        return local.substring(1, local.length() - 1).replaceAll("\\\\(.)", "$1");
    }

    private static boolean positive(String line) {
        return line != null && (line.startsWith("2") || line.startsWith("3"));
    }

    private static String decode(String base64) {
        return new String(Base64.getDecoder().decode(base64.trim()), StandardCharsets.UTF_8);
    }

    /** Binds on loopback with a 16 KiB receive buffer, retrying briefly: a closed listener frees its port lazily. */
    private static ServerSocket bind(int port, int backlog) {
        for (int attempt = 1; ; attempt++) {
            ServerSocket socket = null;
            try {
                socket = new ServerSocket();
                socket.setReuseAddress(true);
                socket.setReceiveBufferSize(16 * 1024); // before bind, so accepted sockets advertise a small window
                socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), backlog);
                return socket;
            } catch (IOException e) {
                closeQuietly(socket);
                if (attempt == 100) {
                    throw new IllegalStateException("cannot listen on port " + port, e);
                }
                LockSupport.parkNanos(20_000_000);
            }
        }
    }

    /** Closes with SO_LINGER 0: the peer gets a reset. */
    private static void abort(Socket socket) {
        try {
            socket.setSoLinger(true, 0);
        } catch (IOException ignored) { // closing anyway
        }
        closeQuietly(socket);
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            if (c != null) {
                c.close();
            }
        } catch (Exception ignored) { // closing anyway
        }
    }
}
