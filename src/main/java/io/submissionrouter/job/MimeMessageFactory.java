package io.submissionrouter.job;

import io.submissionrouter.smtp.SmtpSessions;
import io.submissionrouter.smtp.SubmissionMessage;
import jakarta.activation.DataHandler;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.internet.MimePart;
import jakarta.mail.internet.MimeUtility;
import jakarta.mail.util.ByteArrayDataSource;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UnsupportedEncodingException;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * Builds the MIME message of a validated job: text and html as multipart/alternative, inline parts with it
 * as multipart/related, attachments around it as multipart/mixed, UTF-8 everywhere (RFC 2047 headers, RFC 2231 file names), the router's Date and
 * Message-ID, and no Bcc header (Bcc recipients are on the envelope only).
 */
public final class MimeMessageFactory {

    /** RFC 5322 3.3 date-time, e.g. {@code Wed, 2 Dec 2026 07:52:01 +0000}. */
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss xx",
            Locale.US);

    private static final String UTF_8 = StandardCharsets.UTF_8.name();
    private final Session session;
    /** For jobs with a non-ASCII local part: addresses in raw UTF-8 headers (RFC 6532), sent with SMTPUTF8. */
    private final Session utf8Session;

    public MimeMessageFactory() {
        SmtpSessions.nameStreamProvider();
        Properties props = new Properties();
        props.put("mail.mime.encodeparameters", "true");
        props.put("mail.mime.splitlongparameters", "true");
        this.session = Session.getInstance(props);
        Properties utf8 = new Properties();
        utf8.putAll(props);
        utf8.put(SmtpSessions.ALLOW_UTF8, "true");
        this.utf8Session = Session.getInstance(utf8);
    }

    public SubmissionMessage create(ValidJob valid, String messageId, long maxBytes)
            throws JobRejection, MessagingException {
        EmailJob job = valid.job();
        SubmissionMessage m = new SubmissionMessage(valid.needsSmtpUtf8() ? utf8Session : session, messageId);
        m.setFrom(valid.from());
        if (valid.replyTo() != null) {
            m.setReplyTo(new InternetAddress[] {valid.replyTo()});
        }
        // an empty list sets no header
        m.setRecipients(Message.RecipientType.TO, valid.to().toArray(InternetAddress[]::new));
        m.setRecipients(Message.RecipientType.CC, valid.cc().toArray(InternetAddress[]::new));
        m.setSubject(job.subject(), UTF_8);
        // RFC 5322 date-time, formatted by java.time: MailDateFormat (setSentDate) is a SimpleDateFormat whose
        // time zone names cost a lookup per message
        m.setHeader("Date", DATE.format(ZonedDateTime.now(ZoneOffset.UTC)));
        for (Map.Entry<String, String> h : job.headers().entrySet()) {
            m.setHeader(h.getKey(), encodeHeader(h.getKey(), h.getValue()));
        }
        List<EmailJob.Attachment> attached = job.attachments().stream().filter(a -> !a.inline()).toList();
        if (attached.isEmpty()) {
            fillBody(m, job);
        } else {
            MimeMultipart mixed = new MimeMultipart("mixed");
            MimeBodyPart body = new MimeBodyPart();
            fillBody(body, job);
            mixed.addBodyPart(body);
            for (EmailJob.Attachment a : attached) {
                mixed.addBodyPart(attachment(a));
            }
            m.setContent(mixed);
        }
        m.saveChanges();
        m.envelope(valid.recipients());
        long size = m.encode(); // the bytes every session sends
        if (size > maxBytes) {
            throw new JobRejection(JobRejection.TOO_LARGE,
                    "the encoded message is " + size + " bytes, more than submission.limits.max-message-bytes ("
                            + maxBytes + ")");
        }
        return m;
    }

    /**
     * The readable body: {@link #fillText} alone, or, when the job has inline parts, multipart/related with it
     * first and the inline parts (Content-ID, disposition inline) after it (RFC 2387).
     */
    private static void fillBody(MimePart part, EmailJob job) throws MessagingException {
        List<EmailJob.Attachment> inline = job.attachments().stream().filter(EmailJob.Attachment::inline).toList();
        if (inline.isEmpty()) {
            fillText(part, job);
            return;
        }
        MimeMultipart related = new MimeMultipart("related");
        MimeBodyPart root = new MimeBodyPart();
        fillText(root, job);
        related.addBodyPart(root);
        for (EmailJob.Attachment a : inline) {
            MimeBodyPart p = attachment(a);
            p.setDisposition(MimeBodyPart.INLINE);
            p.setContentID("<" + a.contentId() + ">");
            related.addBodyPart(p);
        }
        part.setContent(related);
    }

    /** text and html as multipart/alternative (plain first, as RFC 2046 orders them), or the one given. */
    private static void fillText(MimePart part, EmailJob job) throws MessagingException {
        if (job.text() != null && job.html() != null) {
            MimeMultipart alternative = new MimeMultipart("alternative");
            alternative.addBodyPart(textPart(job.text(), "plain"));
            alternative.addBodyPart(textPart(job.html(), "html"));
            part.setContent(alternative);
        } else if (job.html() != null) {
            part.setText(job.html(), UTF_8, "html");
        } else {
            part.setText(job.text(), UTF_8, "plain");
        }
    }

    private static MimeBodyPart textPart(String text, String subtype) throws MessagingException {
        MimeBodyPart part = new MimeBodyPart();
        part.setText(text, UTF_8, subtype);
        return part;
    }

    private static MimeBodyPart attachment(EmailJob.Attachment a) throws MessagingException {
        MimeBodyPart part = new MimeBodyPart();
        byte[] bytes = decode(a.contentBase64());
        String type = a.contentType() == null ? "application/octet-stream" : a.contentType();
        part.setDataHandler(new DataHandler(new ByteArrayDataSource(bytes, type)));
        part.setFileName(a.filename());
        part.setDisposition(MimeBodyPart.ATTACHMENT);
        return part;
    }

    /** Attachment content as producers send it: base64 with line breaks, decoded strictly (unlike the MIME decoder). */
    static byte[] decode(String base64) {
        return Base64.getDecoder().decode(base64.replaceAll("[\\r\\n]", ""));
    }

    private static String encodeHeader(String name, String value) throws MessagingException {
        try {
            return MimeUtility.fold(name.length() + 2, MimeUtility.encodeText(value, UTF_8, null));
        } catch (UnsupportedEncodingException e) {
            throw new MessagingException("UTF-8 is not supported", e);
        }
    }
}
