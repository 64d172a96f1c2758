package io.submissionrouter.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import io.submissionrouter.config.SessionSettings;
import io.submissionrouter.testing.TestSmtpServer;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.Properties;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.component.mail.MailEndpoint;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An endpoint's camel-mail sender as the submit route (routes/submission.yaml) uses it, through camel-mail's own
 * producer without Quarkus: the route's URI resolves whatever the endpoint's host looks like, a session that
 * delivered leaves its receipt on the message, and one that did not fails the exchange with an
 * {@link SmtpSessionException} Camel sees.
 */
class SubmissionMailSenderTest {

    private static TestSmtpServer server;
    private static CamelContext camel;

    @BeforeAll
    static void start() {
        server = TestSmtpServer.start("sender");
        camel = new DefaultCamelContext();
        camel.start();
    }

    @AfterAll
    static void stop() {
        camel.stop();
        server.close();
    }

    /** The URI of the submit route for the endpoint of {@code spec}, its sender bound as the route expects. */
    private static String uri(SessionSettings spec, SmtpSubmitter submitter) {
        String name = SubmissionMailSender.registryName(spec);
        camel.getRegistry().bind(name, new SubmissionMailSender(submitter));
        return "smtp://" + name + "?javaMailSender=#" + name;
    }

    private static SessionSettings spec(String relay, String host, int port) {
        SessionSettings s = TestEndpoints.spec(port, "/tls/smtp-ca.pem", TestEndpoints.password(TestSmtpServer.PASSWORD));
        return new SessionSettings(relay, s.name(), host, s.port(), s.tls(), s.credentials(), s.authMechanisms(),
                s.sslSocketFactory(), s.verifyIdentity(), s.connectTimeout(), s.readTimeout(), s.dataTimeout(),
                s.writeTimeout(), s.ehloName());
    }

    private static SubmissionMessage message() throws Exception {
        SubmissionMessage m = new SubmissionMessage(Session.getInstance(new Properties()), "<sender-test@test>");
        m.setFrom(new InternetAddress("noreply@shop.example"));
        m.setSubject("hello");
        m.setText("hello");
        m.saveChanges();
        m.envelope(List.of(new InternetAddress("ada@example.org")));
        return m;
    }

    @Test
    void theRoutesUriResolvesWhateverTheEndpointsHostLooksLike() {
        for (String host : List.of("::1", "fe80::1%eth0", "smtp_relay", "mail.example.com.", "10.0.0.7")) {
            String relay = "r" + Math.abs(host.hashCode());
            SessionSettings spec = spec(relay, host, 587);
            SubmissionMailSender sender = new SubmissionMailSender(new SmtpSubmitter(spec, null, null));
            String name = SubmissionMailSender.registryName(spec);
            camel.getRegistry().bind(name, sender);
            MailEndpoint endpoint = camel.getEndpoint("smtp://" + name + "?javaMailSender=#" + name, MailEndpoint.class);
            assertThat(endpoint.getConfiguration().getJavaMailSender()).as(host).isSameAs(sender);
        }
    }

    @Test
    void aSessionThatDeliveredLeavesItsReceiptOnTheMessage() throws Exception {
        SmtpSubmitter submitter = new SmtpSubmitter(spec("sent", "127.0.0.1", server.port()), null, null);
        SubmissionMessage m = message();
        Exchange done = camel.createProducerTemplate().send(uri(submitter.spec(), submitter),
                e -> e.getIn().setBody(m));
        assertThat(done.getException()).isNull();
        assertThat(m.outcome().outcome()).isEqualTo(OutcomeClass.SENT);
        assertThat(m.outcome().accepted()).containsExactly("ada@example.org");
        submitter.close();
    }

    @Test
    void aSessionThatDidNotFailsTheExchangeWithItsClassifiedOutcome() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort(); // nobody listens here once closed: connection refused
        }
        SmtpSubmitter submitter = new SmtpSubmitter(spec("down", "127.0.0.1", closed), null, null);
        SubmissionMessage m = message();
        Exchange done = camel.createProducerTemplate().send(uri(submitter.spec(), submitter),
                e -> e.getIn().setBody(m));
        assertThat(done.getException()).isInstanceOf(SmtpSessionException.class);
        SmtpSessionException failure = (SmtpSessionException) done.getException();
        assertThat(failure.outcome().outcome()).isEqualTo(OutcomeClass.ENDPOINT_DOWN);
        assertThat(failure.outcome().step()).isEqualTo(SmtpStep.CONNECT);
        assertThat(failure.getMessage()).contains("down/primary", "endpoint_down");
        assertThat(m.outcome()).isNull();
        submitter.close();
    }
}
