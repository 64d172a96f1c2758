package io.submissionrouter.smtp;

import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;

/**
 * The MIME message of a job as it travels through camel-mail: it carries the SMTP envelope (so Bcc
 * recipients get the message without a Bcc header), keeps the router's Message-ID on every save, and
 * receives the {@link SmtpOutcome} of the session that sent it. Once complete it is serialised once
 * ({@link #encode()}): its size is checked and every session sends those same bytes.
 */
public final class SubmissionMessage extends MimeMessage {

    private final String messageId;
    private List<InternetAddress> envelope;
    private SmtpOutcome outcome;
    private long deadlineNanos = Long.MAX_VALUE;
    /** The message as sent, once {@link #encode()} ran; null before. */
    private byte[] encoded;

    public SubmissionMessage(Session session, String messageId) {
        super(session);
        this.messageId = messageId;
    }

    @Override
    protected void updateMessageID() throws MessagingException {
        setHeader("Message-ID", messageId);
    }

    /**
     * Serialises the complete message (after {@code saveChanges}) and returns its size in bytes; every later
     * {@link #writeTo(OutputStream, String[])} (each session's DATA) writes these bytes instead of encoding it again.
     * The message carries no header that a send leaves out (Bcc, Content-Length), so the bytes are exactly what
     * the encoding would give.
     */
    public int encode() throws MessagingException {
        if (getHeader("Bcc") != null || getHeader("Content-Length") != null) {
            throw new IllegalStateException("a submission message carries no Bcc or Content-Length header");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
        try {
            super.writeTo(out, null);
        } catch (IOException e) {
            throw new MessagingException("could not encode the message", e);
        }
        encoded = out.toByteArray();
        return encoded.length;
    }

    @Override
    public void writeTo(OutputStream os, String[] ignoreList) throws IOException, MessagingException {
        if (encoded == null) {
            super.writeTo(os, ignoreList);
        } else {
            os.write(encoded);
        }
    }

    @Override
    public void saveChanges() throws MessagingException {
        encoded = null; // changed: encoded again when asked
        super.saveChanges();
    }

    /**
     * True for a message whose session lets headers out in raw UTF-8 ({@code mail.mime.allowutf8}, RFC 6532),
     * as a job with a non-ASCII local part needs: it may only go to a server that offers SMTPUTF8.
     */
    public boolean requiresSmtpUtf8() {
        return Boolean.parseBoolean(session.getProperty(SmtpSessions.ALLOW_UTF8));
    }

    public String messageId() {
        return messageId;
    }

    /** The recipients of the next session: those still pending. */
    public List<InternetAddress> envelope() {
        return envelope;
    }

    public void envelope(List<InternetAddress> recipients) {
        this.envelope = List.copyOf(recipients);
    }

    /** {@link System#nanoTime()} by which the sessions of this pass must be over (the job's time). */
    public long deadline() {
        return deadlineNanos;
    }

    public void deadline(long nanoTime) {
        this.deadlineNanos = nanoTime;
    }

    /**
     * The receipt of the last session whose message the server accepted, 2xx to the final dot (set by the
     * endpoint's camel-mail sender; a session that did not ends in a {@link SmtpSessionException} instead); null
     * until one did, and once the route has recorded it.
     */
    public SmtpOutcome outcome() {
        return outcome;
    }

    public void outcome(SmtpOutcome outcome) {
        this.outcome = outcome;
    }
}
