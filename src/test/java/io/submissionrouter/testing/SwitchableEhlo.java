package io.submissionrouter.testing;

import java.io.IOException;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.subethamail.smtp.AuthenticationHandlerFactory;
import org.subethamail.smtp.DropConnectionException;
import org.subethamail.smtp.internal.server.BaseCommand;
import org.subethamail.smtp.internal.server.CommandRegistry;
import org.subethamail.smtp.server.SMTPServer;
import org.subethamail.smtp.server.Session;

/**
 * subethasmtp's EHLO, which always offers SMTPUTF8, with a switch to leave SMTPUTF8 out, as many
 * submission servers do: the other capabilities are listed as subethasmtp lists them.
 */
final class SwitchableEhlo extends BaseCommand {

    private final BooleanSupplier offerSmtpUtf8;

    SwitchableEhlo(BooleanSupplier offerSmtpUtf8) {
        super("EHLO", "Introduce yourself.", "<hostname>");
        this.offerSmtpUtf8 = offerSmtpUtf8;
    }

    @Override
    public void execute(String commandString, Session session) throws IOException, DropConnectionException {
        if (offerSmtpUtf8.getAsBoolean()) {
            CommandRegistry.EHLO.getCommand().execute(commandString, session);
            return;
        }
        String[] args = getArgs(commandString);
        if (args.length < 2) {
            session.sendResponse("501 Syntax: EHLO hostname");
            return;
        }
        session.resetMailTransaction();
        session.setHelo(args[1]);
        SMTPServer server = session.getServer();
        StringBuilder reply = new StringBuilder("250-").append(server.getHostName()).append("\r\n250-8BITMIME");
        if (server.getMaxMessageSize() > 0) {
            reply.append("\r\n250-SIZE ").append(server.getMaxMessageSize());
        }
        if (server.getEnableTLS() && !server.getHideTLS()) {
            reply.append("\r\n250-STARTTLS");
        }
        reply.append("\r\n250-CHUNKING");
        boolean showAuth = session.isTLSStarted() || !server.getRequireTLS() || server.getShowAuthCapabilitiesBeforeSTARTTLS();
        List<String> mechanisms = server.getAuthenticationHandlerFactory()
                .map(AuthenticationHandlerFactory::getAuthenticationMechanisms).orElse(List.of());
        if (showAuth && !mechanisms.isEmpty()) {
            reply.append("\r\n250-AUTH ").append(String.join(" ", mechanisms));
        }
        session.sendResponse(reply.append("\r\n250 Ok").toString());
    }
}
