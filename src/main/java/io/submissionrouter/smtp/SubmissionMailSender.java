package io.submissionrouter.smtp;

import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.util.Properties;
import org.apache.camel.component.mail.JavaMailSender;
import org.apache.camel.component.mail.MailAuthenticator;

/**
 * camel-mail's sender for one endpoint of one relay group, bound in Camel's registry under
 * {@link #registryName(EndpointSpec)} (the submit route names it: {@code javaMailSender=#smtp-<relay>-<endpoint>}).
 * It runs the session with the endpoint's {@link SmtpSubmitter}: STARTTLS required, AUTH when credentials are set,
 * kept sessions, connect, read, write and data timeouts, all from the endpoint's {@link EndpointSpec}; the setters
 * camel-mail may call are ignored. A session whose message the server accepted (2xx to the final dot, outcome
 * {@code sent}, recipients it refused at RCPT included) leaves its receipt on the message
 * ({@link SubmissionMessage#outcome()}); any other ends in a {@link SmtpSessionException} carrying the classified
 * outcome.
 */
public final class SubmissionMailSender implements JavaMailSender {

    private final SmtpSubmitter submitter;

    public SubmissionMailSender(SmtpSubmitter submitter) {
        this.submitter = submitter;
    }

    /** The name of an endpoint's sender in Camel's registry. */
    public static String registryName(EndpointSpec spec) {
        return "smtp-" + spec.relay() + "-" + spec.name();
    }

    @Override
    public void send(MimeMessage message) throws SmtpSessionException {
        if (!(message instanceof SubmissionMessage submission)) {
            throw new IllegalArgumentException("expected the job's SubmissionMessage, got " + message.getClass().getName());
        }
        submission.outcome(null);
        SmtpOutcome outcome = submitter.submit(submission, submission.envelope(), submission.deadline());
        if (outcome.outcome() != OutcomeClass.SENT) {
            throw new SmtpSessionException(submitter.spec(), outcome);
        }
        submission.outcome(outcome);
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
