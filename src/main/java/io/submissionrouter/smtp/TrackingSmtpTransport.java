package io.submissionrouter.smtp;

import jakarta.mail.Address;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.SendFailedException;
import jakarta.mail.Session;
import jakarta.mail.URLName;
import jakarta.mail.internet.InternetAddress;
import java.io.IOException;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.camel.util.ObjectHelper;
import org.eclipse.angus.mail.smtp.SMTPTransport;

/**
 * Angus Mail's SMTP transport, recording which step of the session is under way, the reply read for that step's
 * last command (none when reading it failed), each recipient's RCPT reply, and whether the final dot was
 * written, so that the session's end is classified by step and code in one place ({@link SmtpReplyClassifier}),
 * never by exception types, message texts or a reply to an earlier command (CONTRACT 8.1).
 * <p>
 * It also bounds every reply (CONTRACT 9.1) through its {@link SessionSocket}: {@code read-timeout} in total for
 * each (the TLS handshake included), {@code data-timeout} for the reply after the final dot, each cut to what is left
 * of the job's time ({@link #deadline(long)}), and {@link SessionSocket#MAX_REPLY_BYTES} in size. Each RCPT reply is
 * filed under the address that RCPT sent (the n-th RCPT of a transaction is the n-th recipient of its envelope),
 * never under an address read back from the command's text: a quoted local part may hold {@code >} (CONTRACT 9.2).
 * Created by {@link SmtpSubmitter} for every session; a pooled session carries several messages.
 * <p>
 * Over 300 lines because every step of Angus Mail's SMTPTransport that a session must see (greeting, EHLO, STARTTLS,
 * AUTH, MAIL, each RCPT, DATA, the dot, RSET) is an override of that one class: split, the steps would lose the
 * session state they share.
 */
public class TrackingSmtpTransport extends SMTPTransport {

    /** Session property: timeout in milliseconds of the reply after the final dot. */
    public static final String DATA_TIMEOUT = "submission.smtp.data-timeout-ms";

    private static final Set<String> HOUSEKEEPING = Set.of("RSET", "QUIT", "NOOP");
    /** The mechanisms Angus Mail tries when none are configured (XOAUTH2 only when asked for). */
    private static final List<String> DEFAULT_MECHANISMS = List.of("LOGIN", "PLAIN", "DIGEST-MD5", "NTLM");

    private final int readTimeoutMillis;
    private final int dataTimeoutMillis;
    /** Whether STARTTLS comes before AUTH (so the EHLO before it is not the one AUTH follows). */
    private final boolean startTls;
    /** Set when credentials are: the setting prefix to name when AUTH cannot happen. */
    private String authSetting;
    private List<String> authMechanisms = List.of();
    private SmtpStep step = SmtpStep.CONNECT;
    private boolean tlsActive;
    /** The reply to the current step's last command; null until one was read (or when reading it failed). */
    private SmtpReply reply;
    private boolean dotWritten;
    /** RCPT replies of the current transaction, by the index of the recipient in its envelope (its RCPTs' order). */
    private SmtpReply[] recipientReplies = new SmtpReply[0];
    /** RCPT commands sent in the current transaction; the index of the one whose reply is read next, minus one. */
    private int rcptSent;
    private boolean rcptPending;
    private boolean housekeeping;
    /** The time RSET or NOOP may take to answer: read-timeout, or a kept session's check's own. */
    private int housekeepingMillis;
    /** System.nanoTime() by which the session must be over (the job's time); Long.MAX_VALUE without one. */
    private long deadlineNanos = Long.MAX_VALUE;
    /** The socket under this session (under TLS too), armed before each reply. */
    private SessionSocket socket;

    public TrackingSmtpTransport(Session session, URLName urlname) {
        super(session, urlname);
        this.readTimeoutMillis = Integer.parseInt(session.getProperty("mail.smtp.timeout"));
        this.dataTimeoutMillis = Integer.parseInt(session.getProperty(DATA_TIMEOUT));
        this.housekeepingMillis = readTimeoutMillis;
        this.startTls = Boolean.parseBoolean(session.getProperty("mail.smtp.starttls.enable"));
    }

    /** The step under way when the session ended. */
    public SmtpStep step() {
        return step;
    }

    /** The server's reply to the current step's last command, or null when it gave none. */
    public SmtpReply replyToCurrentStep() {
        return reply;
    }

    /** Whether the final dot of the current message reached the connection (a reply may not have). */
    public boolean dotWritten() {
        return dotWritten;
    }

    /** The RCPT reply of the recipient at {@code index} of the envelope sent, or null when it got none. */
    public SmtpReply recipientReply(int index) {
        return index < recipientReplies.length ? recipientReplies[index] : null;
    }

    /** Whether {@code failure} is a read or write cut by the job's deadline: the router's fault, not the endpoint's. */
    public boolean ranOutOfJobTime(Throwable failure) {
        return socket != null && (socket.writeCutByJob() || socket.cutByJob() && timedOut(failure));
    }

    /** A read or write timed out, anywhere down the chain (a MessagingException's cause is its next exception). */
    static boolean timedOut(Throwable failure) {
        return ObjectHelper.getException(SocketTimeoutException.class, failure) != null;
    }

    /** Every read and write from now on ends by {@code nanoTime} ({@link System#nanoTime()}), the job's time. */
    void deadline(long nanoTime) {
        this.deadlineNanos = nanoTime;
        if (socket != null) {
            socket.jobDeadline(nanoTime);
        }
    }

    /** This session's socket, once it has one (remembered on this thread at connect). */
    private void adoptSocket() {
        if (socket == null) {
            socket = SmtpSessions.current();
            if (socket != null) {
                socket.jobDeadline(deadlineNanos);
            }
        }
    }

    @Override
    public synchronized void close() throws MessagingException {
        if (socket != null) {
            socket.quiet(); // a TLS close may read what the server still sends: not for the last reply's whole bound
        }
        super.close();
    }

    @Override
    protected synchronized boolean protocolConnect(String host, int port, String user, String password)
            throws MessagingException {
        enter(SmtpStep.CONNECT);
        SmtpSessions.jobDeadline(deadlineNanos); // bounds the handshake of TLS from the first byte too
        try {
            boolean connected = super.protocolConnect(host, port, user, password);
            adoptSocket();
            return connected;
        } catch (MessagingException e) {
            adoptSocket();
            if (step == SmtpStep.CONNECT && socket != null && socket.isConnected()) {
                enter(SmtpStep.GREETING);
            }
            if (!tlsActive && e.getMessage() != null
                    && e.getMessage().toUpperCase(Locale.ROOT).contains("STARTTLS")) {
                enter(SmtpStep.STARTTLS); // STARTTLS required but not offered
            }
            throw e;
        }
    }

    @Override
    protected boolean ehlo(String domain) throws MessagingException {
        enter(SmtpStep.EHLO);
        boolean ok = super.ehlo(domain);
        if (!ok && tlsActive) {
            // Angus goes on after a failed EHLO under TLS, without the extensions (AUTH) it lists: the session ends here
            throw new MessagingException("EHLO after STARTTLS failed: " + getLastServerResponse());
        }
        if (ok) {
            enter(SmtpStep.AUTH); // what follows EHLO in protocolConnect is STARTTLS or AUTH
            if (authSetting != null && (tlsActive || !startTls)) {
                checkAuthPossible(); // the EHLO that AUTH follows
            }
        }
        return ok;
    }

    /**
     * Credentials are set: the session must authenticate with one of {@code mechanisms} (empty: Angus Mail's defaults)
     * or end before AUTH as a {@code config_error} naming the setting under {@code settingPrefix}.
     */
    void requireAuth(List<String> mechanisms, String settingPrefix) {
        this.authMechanisms = mechanisms.isEmpty() ? DEFAULT_MECHANISMS : mechanisms;
        this.authSetting = settingPrefix;
    }

    private void checkAuthPossible() throws SessionOutcomes.NoAuth {
        if (!supportsExtension("AUTH") && !supportsExtension("AUTH=LOGIN")) {
            throw new SessionOutcomes.NoAuth("credentials are set (" + authSetting + ".username, .password or "
                    + ".oauth2.*) but the server offers no AUTH");
        }
        if (authMechanisms.stream().noneMatch(this::supportsAuthentication)) {
            String offered = getExtensionParameter("AUTH");
            throw new SessionOutcomes.NoAuth("the server offers AUTH " + (offered == null ? "" : offered.strip())
                    + ", none of the mechanisms allowed (" + authSetting + ".auth-mechanisms: "
                    + String.join(" ", authMechanisms) + ")");
        }
    }

    @Override
    protected void startTLS() throws MessagingException {
        enter(SmtpStep.STARTTLS);
        super.startTLS();
        tlsActive = true;
    }

    @Override
    public synchronized void sendMessage(Message message, Address[] addresses) throws MessagingException {
        for (Address a : addresses) {
            if (!(a instanceof InternetAddress ia) || ia.isGroup()) {
                // Angus would expand a group into more RCPTs than the envelope has: replies could not be matched
                throw new SendFailedException("the envelope holds a group or a non-Internet address: " + a);
            }
        }
        recipientReplies = new SmtpReply[addresses.length];
        rcptSent = 0;
        super.sendMessage(message, addresses);
    }

    @Override
    protected void mailFrom() throws MessagingException {
        enter(SmtpStep.MAIL);
        super.mailFrom();
    }

    @Override
    protected void rcptTo() throws MessagingException {
        enter(SmtpStep.RCPT);
        super.rcptTo();
    }

    @Override
    protected OutputStream data() throws MessagingException {
        enter(SmtpStep.DATA);
        OutputStream body = super.data();
        // 354 only invites the body: a failure while writing it is a session lost before the dot
        reply = null;
        return body;
    }

    @Override
    protected void finishData() throws IOException, MessagingException {
        enter(SmtpStep.DOT);
        super.finishData();
    }

    @Override
    protected void sendCommand(String cmd) throws MessagingException {
        rcptPending = step == SmtpStep.RCPT && cmd.regionMatches(true, 0, "RCPT TO:", 0, 8);
        if (rcptPending) {
            rcptSent++; // Angus sends one RCPT per envelope address, in order, and reads its reply before the next
        }
        // Angus sends RSET after a refused transaction: its 250 must not stand for the step that failed.
        housekeeping = HOUSEKEEPING.contains(cmd.strip().toUpperCase(Locale.ROOT));
        super.sendCommand(cmd);
        if (step == SmtpStep.DOT && ".".equals(cmd)) {
            dotWritten = true;
        }
    }

    @Override
    protected int readServerResponse() throws MessagingException {
        if (step == SmtpStep.CONNECT) {
            enter(SmtpStep.GREETING); // the first thing read on a connected socket is the greeting
        }
        adoptSocket();
        boolean dot = step == SmtpStep.DOT && !housekeeping;
        expect(housekeeping ? "reply to RSET or NOOP" : "reply to " + step.wireName(),
                housekeeping ? housekeepingMillis : dot ? dataTimeoutMillis : readTimeoutMillis);
        if (housekeeping) {
            return super.readServerResponse(); // RSET after a refusal: bounded, but it never stands for the step
        }
        reply = null; // until this read succeeds, the step has no reply
        int code = super.readServerResponse();
        reply = code > 0 ? SmtpReply.parse(getLastServerResponse()) : null;
        if (step == SmtpStep.RCPT && rcptPending && reply != null && rcptSent <= recipientReplies.length) {
            recipientReplies[rcptSent - 1] = reply;
        }
        rcptPending = false;
        if (step == SmtpStep.STARTTLS && code == 220) {
            expect("TLS handshake", readTimeoutMillis); // the handshake that follows reads through the same socket
        }
        return code;
    }

    /** Arms the socket for the next reply: {@code millis} in total, cut to the job's time, and a bounded size. */
    private void expect(String what, int millis) {
        if (socket != null) {
            socket.expect(what, millis, deadlineNanos,
                    step == SmtpStep.STARTTLS && what.startsWith("TLS") ? SessionSocket.HANDSHAKE_BYTES
                            : SessionSocket.MAX_REPLY_BYTES);
        }
    }

    /** A new step begins: it has no reply yet (a reply to an earlier step never stands for it). */
    private void enter(SmtpStep next) {
        step = next;
        reply = null;
    }

    /** How a kept session answered RSET; OUT_OF_TIME: the job's time ran out first, the endpoint is not to blame. */
    enum Liveness { ALIVE, CLOSED, SILENT, OUT_OF_TIME }

    /**
     * Sends RSET on a kept session and waits at most {@code timeoutMillis} for 250: anything else, or a connection cut,
     * is {@code CLOSED} (open a new one); silence is {@code SILENT}, the endpoint is not answering.
     */
    Liveness rset(int timeoutMillis) {
        if (socket == null || socket.isClosed()) {
            return Liveness.CLOSED;
        }
        housekeepingMillis = timeoutMillis;
        try {
            return simpleCommand("RSET") == 250 ? Liveness.ALIVE : Liveness.CLOSED;
        } catch (MessagingException e) {
            return !timedOut(e) ? Liveness.CLOSED : socket.cutByJob() ? Liveness.OUT_OF_TIME : Liveness.SILENT;
        } finally {
            housekeepingMillis = readTimeoutMillis;
        }
    }

    /** The session (past AUTH) starts its next message: what the last one recorded is forgotten. */
    void beginMessage() {
        enter(SmtpStep.MAIL);
        dotWritten = false;
        rcptPending = false;
        rcptSent = 0;
        recipientReplies = new SmtpReply[0];
    }
}
