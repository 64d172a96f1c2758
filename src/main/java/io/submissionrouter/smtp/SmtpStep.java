package io.submissionrouter.smtp;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** The SMTP step that answered last in a session (CONTRACT 3.1). */
public enum SmtpStep {
    CONNECT, GREETING, EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA, DOT;

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Steps before the first command that concerns the message itself. */
    public boolean isSessionSetup() {
        return ordinal() <= AUTH.ordinal();
    }
}
