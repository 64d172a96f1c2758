package io.submissionrouter.smtp;

import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.util.Properties;
import org.apache.camel.component.mail.JavaMailSender;
import org.apache.camel.component.mail.MailAuthenticator;

/**
 * camel-mail's sender for one endpoint ({@code javaMailSender=#...} on the {@code smtp:} URI). It hands the
 * message to the endpoint's {@link SmtpSubmitter} and records the outcome on the message instead of
 * throwing, so the route decides what happens next from a classified value.
 * Host, port and credentials come from the {@link EndpointSpec}; the setters camel-mail may call are ignored.
 */
public final class SubmissionMailSender implements JavaMailSender {

    private final SmtpSubmitter submitter;

    public SubmissionMailSender(SmtpSubmitter submitter) {
        this.submitter = submitter;
    }

    @Override
    public void send(MimeMessage message) {
        if (!(message instanceof SubmissionMessage submission)) {
            throw new IllegalArgumentException("expected a SubmissionMessage body, got " + message.getClass().getName());
        }
        submission.outcome(submitter.submit(submission, submission.envelope()));
    }

    @Override
    public Properties getJavaMailProperties() {
        return submitter.session().getProperties();
    }

    @Override
    public void setJavaMailProperties(Properties javaMailProperties) {
        // configured from EndpointSpec
    }

    @Override
    public void addAdditionalJavaMailProperty(String key, String value) {
        // configured from EndpointSpec
    }

    @Override
    public void setHost(String host) {
        // configured from EndpointSpec
    }

    @Override
    public String getHost() {
        return submitter.spec().host();
    }

    @Override
    public void setPort(int port) {
        // configured from EndpointSpec
    }

    @Override
    public int getPort() {
        return submitter.spec().port();
    }

    @Override
    public void setUsername(String username) {
        // configured from EndpointSpec
    }

    @Override
    public String getUsername() {
        return null;
    }

    @Override
    public void setPassword(String password) {
        // configured from EndpointSpec
    }

    @Override
    public String getPassword() {
        return null;
    }

    @Override
    public void setProtocol(String protocol) {
        // always smtp
    }

    @Override
    public String getProtocol() {
        return "smtp";
    }

    @Override
    public void setSession(Session session) {
        // configured from EndpointSpec
    }

    @Override
    public Session getSession() {
        return submitter.session();
    }

    @Override
    public void setAuthenticator(MailAuthenticator authenticator) {
        // configured from EndpointSpec
    }

    @Override
    public MailAuthenticator getAuthenticator() {
        return null;
    }
}
