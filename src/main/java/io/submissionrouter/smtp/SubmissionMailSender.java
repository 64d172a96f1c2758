package io.submissionrouter.smtp;

import io.submissionrouter.config.SessionSettings;
import jakarta.mail.internet.MimeMessage;
import org.apache.camel.component.mail.DefaultJavaMailSender;

/**
 * camel-mail's sender for one endpoint of one relay group, bound in Camel's registry under
 * {@link #registryName(SessionSettings)} (the submit route names it: {@code javaMailSender=#smtp-<relay>-<endpoint>}).
 * It runs the session with the endpoint's {@link SmtpSubmitter}. A session whose message the server accepted (2xx to
 * the final dot, outcome {@code sent}, recipients refused at RCPT included) leaves its receipt on the message
 * ({@link SubmissionMessage#outcome()}); any other ends in a {@link SmtpSessionException} carrying the outcome.
 * <p>
 * Only {@link #send} is overridden: the settings of {@link DefaultJavaMailSender} are never read, so no setter can
 * change where or how a message goes (CONTRACT 8.2). A {@code mail.smtp.*} header would make camel-mail 4.18
 * configure a sender of its own instead, which is why the submit route removes every such header.
 */
public final class SubmissionMailSender extends DefaultJavaMailSender {

    private final SmtpSubmitter submitter;

    public SubmissionMailSender(SmtpSubmitter submitter) {
        this.submitter = submitter;
    }

    /** The name of an endpoint's sender in Camel's registry. */
    public static String registryName(SessionSettings spec) {
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
    public String getHost() {
        return submitter.spec().host();
    }

    @Override
    public int getPort() {
        return submitter.spec().port();
    }
}
