package io.submissionrouter.smtp;

import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.URLName;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.eclipse.angus.mail.smtp.SMTPTransport;

/**
 * Angus Mail's SMTP transport, recording which step of the session is under way, the reply read for that step's
 * last command (none when reading it failed), each recipient's RCPT reply, and whether the final dot was
 * written, so that the session's end is classified by step and code in one place ({@link SmtpReplyClassifier}),
 * never by exception types, message texts or a reply to an earlier command (CONTRACT 8.1).
 * <p>
 * It also gives every read its timeout: {@code read-timeout}, {@code data-timeout} for the reply after the final
 * dot, each cut to what is left of the job's time ({@link #deadline(long)}).
 * Created by {@link SmtpSubmitter} for every session; a pooled session carries several messages.
 */
public class TrackingSmtpTransport extends SMTPTransport {

    /** Session property: timeout in milliseconds of the reply after the final dot. */
    public static final String DATA_TIMEOUT = "submission.smtp.data-timeout-ms";

    private static final Set<String> HOUSEKEEPING = Set.of("RSET", "QUIT", "NOOP");

    private final int readTimeoutMillis;
    private final int dataTimeoutMillis;
    private SmtpStep step = SmtpStep.CONNECT;
    private boolean tlsActive;
    /** The reply to the current step's last command; null until one was read (or when reading it failed). */
    private SmtpReply reply;
    private boolean dotWritten;
    private String pendingRecipient;
    private boolean housekeeping;
    /** System.nanoTime() by which the session must be over (the job's time); Long.MAX_VALUE without one. */
    private long deadlineNanos = Long.MAX_VALUE;
    /** The plain socket under this session (under TLS too), whose read timeout each read sets. */
    private Socket socket;
    private final Map<String, SmtpReply> recipientReplies = new LinkedHashMap<>();

    public TrackingSmtpTransport(Session session, URLName urlname) {
        super(session, urlname);
        this.readTimeoutMillis = Integer.parseInt(session.getProperty("mail.smtp.timeout"));
        this.dataTimeoutMillis = Integer.parseInt(session.getProperty(DATA_TIMEOUT));
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

    /** RCPT replies by address, in the order sent. */
    public Map<String, SmtpReply> recipientReplies() {
        return recipientReplies;
    }

    /** Every read from now on waits at most until {@code nanoTime} ({@link System#nanoTime()}). */
    void deadline(long nanoTime) {
        this.deadlineNanos = nanoTime;
    }

    @Override
    protected synchronized boolean protocolConnect(String host, int port, String user, String password)
            throws MessagingException {
        enter(SmtpStep.CONNECT);
        try {
            boolean connected = super.protocolConnect(host, port, user, password);
            socket = SessionSocketFactory.current();
            return connected;
        } catch (MessagingException e) {
            socket = SessionSocketFactory.current();
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
        if (ok) {
            enter(SmtpStep.AUTH); // what follows EHLO in protocolConnect is STARTTLS or AUTH
        }
        return ok;
    }

    @Override
    protected void startTLS() throws MessagingException {
        enter(SmtpStep.STARTTLS);
        super.startTLS();
        tlsActive = true;
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
        pendingRecipient = cmd.regionMatches(true, 0, "RCPT TO:", 0, 8) ? mailbox(cmd.substring(8)) : null;
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
        if (housekeeping) {
            return super.readServerResponse(); // RSET, NOOP: with the timeout their caller set
        }
        reply = null; // until this read succeeds, the step has no reply
        setReadTimeout(step == SmtpStep.DOT ? dataTimeoutMillis : readTimeoutMillis);
        int code = super.readServerResponse();
        reply = code > 0 ? SmtpReply.parse(getLastServerResponse()) : null;
        if (step == SmtpStep.RCPT && pendingRecipient != null && reply != null) {
            recipientReplies.put(pendingRecipient, reply);
        }
        pendingRecipient = null;
        return code;
    }

    /** Sets the socket's read timeout to {@code millis}, or to what is left of the job's time if that is less. */
    private void setReadTimeout(int millis) throws MessagingException {
        if (socket == null) {
            socket = SessionSocketFactory.current();
        }
        long left = deadlineNanos == Long.MAX_VALUE ? Long.MAX_VALUE : (deadlineNanos - System.nanoTime()) / 1_000_000;
        if (left <= 0) {
            throw new MessagingException("the job's time (submission.consumer.job-timeout) ran out before the "
                    + step.wireName() + " reply");
        }
        try {
            setTimeout(socket, (int) Math.min(millis, left));
        } catch (SocketException e) {
            throw new MessagingException("cannot set the read timeout", e);
        }
    }

    /** A new step begins: it has no reply yet (a reply to an earlier step never stands for it). */
    private void enter(SmtpStep next) {
        step = next;
        reply = null;
    }

    /** Marks the session as past AUTH (connect returned) and ready for MAIL. */
    void connected() {
        enter(SmtpStep.MAIL);
    }

    /** How a kept session answered RSET. */
    enum Liveness { ALIVE, CLOSED, SILENT }

    /**
     * Sends RSET on a kept session and waits at most {@code timeoutMillis} for 250. A session cut by the server,
     * or answering anything but 250, is {@code CLOSED} (open a new one); one that stays silent is {@code SILENT}:
     * the endpoint is not answering.
     */
    Liveness rset(int timeoutMillis) {
        if (socket == null || socket.isClosed()) {
            return Liveness.CLOSED;
        }
        try {
            setTimeout(socket, timeoutMillis);
            return simpleCommand("RSET") == 250 ? Liveness.ALIVE : Liveness.CLOSED;
        } catch (MessagingException | IOException e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof java.net.SocketTimeoutException) {
                    return Liveness.SILENT;
                }
            }
            return Liveness.CLOSED;
        }
    }

    /** A pooled session starts its next message: what the last one recorded is forgotten. */
    void beginMessage() {
        enter(SmtpStep.MAIL);
        reply = null;
        dotWritten = false;
        pendingRecipient = null;
        recipientReplies.clear();
    }

    private static String mailbox(String path) {
        String p = path.strip();
        int end = p.indexOf('>');
        return p.startsWith("<") && end > 0 ? p.substring(1, end) : p;
    }

    private static void setTimeout(Socket socket, int millis) throws SocketException {
        if (socket != null) {
            socket.setSoTimeout(millis);
        }
    }
}
