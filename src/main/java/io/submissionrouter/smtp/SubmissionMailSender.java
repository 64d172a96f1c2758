package io.submissionrouter.smtp;

import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.util.Properties;
import org.apache.camel.component.mail.JavaMailSender;
import org.apache.camel.component.mail.MailAuthenticator;

/**
 * camel-mail's sender for one endpoint role ({@code javaMailSender=#primaryMailSender} or
 * {@code #fallbackMailSender} on the {@code smtp:} URI): it hands the message to the {@link SmtpSubmitter}
 * of that endpoint of the job's relay group (the message's {@link SubmissionMessage#target()}, chosen by the
 * router) and records the outcome on the message instead of throwing, so the route decides what happens
 * next from a classified value. Host, port and credentials come from each endpoint's {@link EndpointSpec};
 * the setters camel-mail may call are ignored.
 */
public final class SubmissionMailSender implements JavaMailSender {

    private final String role;

    public SubmissionMailSender(String role) {
        this.role = role;
    }

    @Override
    public void send(MimeMessage message) {
        if (!(message instanceof SubmissionMessage submission) || submission.target() == null) {
            throw new IllegalArgumentException("expected a SubmissionMessage with a target endpoint");
        }
        SmtpSubmitter submitter = submission.target();
        if (!submitter.spec().name().equals(role)) {
            throw new IllegalStateException("the " + role + " sender was given a message for "
                    + submitter.spec().label());
        }
        submission.outcome(submitter.submit(submission, submission.envelope(), submission.deadline()));
    }

    @Override
    public Properties getJavaMailProperties() {
        return new Properties();
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
        return role;
    }

    @Override
    public void setPort(int port) {
        // configured from EndpointSpec
    }

    @Override
    public int getPort() {
        return 0;
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
        return null;
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
