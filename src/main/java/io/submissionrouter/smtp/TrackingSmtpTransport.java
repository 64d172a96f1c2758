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
import org.eclipse.angus.mail.smtp.SMTPTransport;

/**
 * Angus Mail's SMTP transport, recording which step of the session is under way and what the server
 * answered to each, so that a session's end can be classified by step and code in one place
 * ({@link SmtpReplyClassifier}) instead of by exception types and message texts.
 * Created by {@link SmtpSubmitter} for every session; a pooled session carries several messages.
 */
public class TrackingSmtpTransport extends SMTPTransport {

    /** Session property: timeout in milliseconds of the reply after the final dot. */
    public static final String DATA_TIMEOUT = "submission.smtp.data-timeout-ms";

    private static final java.util.Set<String> HOUSEKEEPING = java.util.Set.of("RSET", "QUIT", "NOOP");

    private final int dataTimeoutMillis;
    private SmtpStep step = SmtpStep.CONNECT;
    private boolean tlsActive;
    private SmtpStep replyStep;
    private SmtpReply lastReply;
    private String pendingRecipient;
    private boolean housekeeping;
    /** The plain socket under this session (under TLS too), kept for the data timeout of a pooled session. */
    private Socket socket;
    private final Map<String, SmtpReply> recipientReplies = new LinkedHashMap<>();

    public TrackingSmtpTransport(Session session, URLName urlname) {
        super(session, urlname);
        this.dataTimeoutMillis = Integer.parseInt(session.getProperty(DATA_TIMEOUT));
    }

    /** The step under way when the session ended. */
    public SmtpStep step() {
        return step;
    }

    /** The server's reply to the current step, or null when that step got none. */
    public SmtpReply replyToCurrentStep() {
        return replyStep == step ? lastReply : null;
    }

    /** RCPT replies by address, in the order sent. */
    public Map<String, SmtpReply> recipientReplies() {
        return recipientReplies;
    }

    @Override
    protected synchronized boolean protocolConnect(String host, int port, String user, String password)
            throws MessagingException {
        step = SmtpStep.CONNECT;
        try {
            boolean connected = super.protocolConnect(host, port, user, password);
            socket = SessionSocketFactory.current();
            return connected;
        } catch (MessagingException e) {
            socket = SessionSocketFactory.current();
            if (step == SmtpStep.CONNECT && socket != null && socket.isConnected()) {
                step = SmtpStep.GREETING;
            }
            if (!tlsActive && e.getMessage() != null
                    && e.getMessage().toUpperCase(Locale.ROOT).contains("STARTTLS")) {
                step = SmtpStep.STARTTLS; // STARTTLS required but not offered
            }
            throw e;
        }
    }

    @Override
    protected boolean ehlo(String domain) throws MessagingException {
        step = SmtpStep.EHLO;
        boolean ok = super.ehlo(domain);
        if (ok) {
            step = SmtpStep.AUTH; // what follows EHLO in protocolConnect is STARTTLS or AUTH
        }
        return ok;
    }

    @Override
    protected void startTLS() throws MessagingException {
        step = SmtpStep.STARTTLS;
        super.startTLS();
        tlsActive = true;
    }

    @Override
    protected void mailFrom() throws MessagingException {
        step = SmtpStep.MAIL;
        super.mailFrom();
    }

    @Override
    protected void rcptTo() throws MessagingException {
        step = SmtpStep.RCPT;
        super.rcptTo();
    }

    @Override
    protected OutputStream data() throws MessagingException {
        step = SmtpStep.DATA;
        return super.data();
    }

    @Override
    protected void finishData() throws IOException, MessagingException {
        step = SmtpStep.DOT;
        int readTimeout = socket == null ? 0 : socket.getSoTimeout();
        setTimeout(socket, dataTimeoutMillis);
        super.finishData();
        setTimeout(socket, readTimeout);
    }

    @Override
    protected void sendCommand(String cmd) throws MessagingException {
        pendingRecipient = cmd.regionMatches(true, 0, "RCPT TO:", 0, 8) ? mailbox(cmd.substring(8)) : null;
        // Angus sends RSET after a refused transaction: its 250 must not stand for the step that failed.
        housekeeping = HOUSEKEEPING.contains(cmd.strip().toUpperCase(Locale.ROOT));
        super.sendCommand(cmd);
    }

    @Override
    protected int readServerResponse() throws MessagingException {
        if (step == SmtpStep.CONNECT) {
            step = SmtpStep.GREETING; // the first thing read on a connected socket is the greeting
        }
        int code = super.readServerResponse();
        if (housekeeping) {
            return code;
        }
        lastReply = code > 0 ? SmtpReply.parse(getLastServerResponse()) : null;
        replyStep = step;
        if (step == SmtpStep.RCPT && pendingRecipient != null && lastReply != null) {
            recipientReplies.put(pendingRecipient, lastReply);
            pendingRecipient = null;
        }
        return code;
    }

    /** Marks the session as past AUTH (connect returned) and ready for MAIL. */
    void connected() {
        step = SmtpStep.MAIL;
    }

    /** How a kept session answered RSET. */
    enum Liveness { ALIVE, CLOSED, SILENT }

    /**
     * Sends RSET on a kept session and waits at most {@code timeoutMillis} for 250. A session cut by the server
     * is {@code CLOSED} (open a new one); one that stays silent is {@code SILENT}: the endpoint is not answering.
     */
    Liveness rset(int timeoutMillis) {
        if (socket == null || socket.isClosed()) {
            return Liveness.CLOSED;
        }
        try {
            int readTimeout = socket.getSoTimeout();
            setTimeout(socket, timeoutMillis);
            try {
                return simpleCommand("RSET") == 250 ? Liveness.ALIVE : Liveness.CLOSED;
            } finally {
                setTimeout(socket, readTimeout);
            }
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
        step = SmtpStep.MAIL;
        replyStep = null;
        lastReply = null;
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
