package io.submissionrouter.testing;

import static io.submissionrouter.testing.FaultSmtpServer.Action.close;
import static io.submissionrouter.testing.FaultSmtpServer.Action.drip;
import static io.submissionrouter.testing.FaultSmtpServer.Action.drop;
import static io.submissionrouter.testing.FaultSmtpServer.Action.flood;
import static io.submissionrouter.testing.FaultSmtpServer.Action.refuse;
import static io.submissionrouter.testing.FaultSmtpServer.Action.reply;
import static io.submissionrouter.testing.FaultSmtpServer.Action.silent;
import static io.submissionrouter.testing.FaultSmtpServer.Action.stallHandshake;
import static io.submissionrouter.testing.FaultSmtpServer.Action.trickle;

import io.submissionrouter.testing.FaultSmtpServer.Action;
import io.submissionrouter.testing.FaultSmtpServer.Step;
import java.util.List;
import java.util.stream.Collectors;

/**
 * How the router treats a submission server that fails at each step of a session (CONTRACT 5.2 and 8.1): every
 * cell is one fault of the primary of the relay group {@code faults} (a {@link FaultSmtpServer}; its fallback is a
 * well-behaved one), what the router must make of it, and how many copies each server may store. FaultMatrixTest runs
 * every cell through the router against the real broker; README "How each SMTP answer is treated" shows
 * {@link #markdown()}, which FaultMatrixReadmeTest keeps identical to the README.
 */
public final class FaultMatrix {

    /** Fault applies once (the first session that reaches it) or in every session. */
    static final int ONCE = 1;
    static final int ALWAYS = Integer.MAX_VALUE;

    /**
     * One cell.
     *
     * @param step        where the server fails
     * @param nth         which occurrence of the step in a session (the 2nd RCPT, EHLO after STARTTLS)
     * @param action      what it does there
     * @param sessions    {@link #ONCE} or {@link #ALWAYS}
     * @param recipients  recipients of the job (2 for RCPT cells: ada and bob)
     * @param warmUp      a job goes first, so the cell's job finds a kept session (RSET cells, after it idled longer
     *                    than check-after-idle; MAIL cells with nth 2, at once)
     * @param bigBody     a message larger than the socket buffers, so the server sees the client mid-body
     * @param outcomes    the attempt events' outcomes, endpoint by endpoint ({@code endpoint:outcome})
     * @param step1       the first attempt's step
     * @param code1       the first attempt's SMTP code, null when there was none
     * @param status      the result's status
     * @param copies      copies of the job the primary and the fallback stored
     * @param breaker     failures the primary's breaker counted
     * @param note        why, where it is not plain (README)
     * @param then        a second fault of the same session, later in it (null for none): at its first occurrence
     */
    public record Cell(Step step, int nth, Action action, int sessions, int recipients, boolean warmUp,
            boolean bigBody, List<String> outcomes, String step1, Integer code1, String status, boolean duplicate,
            int[] copies, int breaker, String note, Then then) {

        /** The same cell with a word on why. */
        Cell because(String why) {
            return new Cell(step, nth, action, sessions, recipients, warmUp, bigBody, outcomes, step1, code1, status,
                    duplicate, copies, breaker, why, then);
        }

        /** The same cell, the server doing {@code action} too at the first {@code step} after the cell's own fault. */
        Cell then(Step step, Action action) {
            return new Cell(this.step, nth, this.action, sessions, recipients, warmUp, bigBody, outcomes, step1, code1,
                    status, duplicate, copies, breaker, note, new Then(step, action));
        }

        public String name() {
            return (stepLabel() + " " + does()).replaceAll("[^A-Za-z0-9]+", "-").replaceAll("-+$", "");
        }

        String stepLabel() {
            return switch (step) {
                case CONNECT -> "connect";
                case GREETING -> "greeting";
                case EHLO -> nth == 1 ? "EHLO" : "EHLO after STARTTLS";
                case STARTTLS -> "STARTTLS";
                case AUTH -> "AUTH";
                case MAIL -> nth == 1 ? "MAIL FROM" : "MAIL FROM on a kept session used a moment ago (no RSET)";
                case RCPT -> nth == 1 ? "RCPT TO (1st of 2)" : "RCPT TO (2nd of 2)";
                case DATA -> "DATA";
                case BODY -> "mid-body";
                case DOT -> "after the final dot";
                case RSET -> "RSET on a kept session idle longer than check-after-idle";
            };
        }

        String does() {
            return does(step, action) + (then == null ? "" : ", then at " + then.step() + " " + does(then.step(),
                    then.action())) + (sessions == ALWAYS ? ", every time" : "");
        }

        private static String does(Step step, Action action) {
            String what;
            if (action instanceof FaultSmtpServer.Refuse) {
                what = "refuses the connection";
            } else if (action instanceof FaultSmtpServer.Drop) {
                what = "drops it (connect timeout)";
            } else if (action instanceof FaultSmtpServer.Close) {
                what = step == Step.DOT ? "stores the message, closes without a reply" : "closes the connection";
            } else if (action instanceof FaultSmtpServer.Silent) {
                what = step == Step.DOT ? "stores the message, never replies" : "goes silent";
            } else if (action instanceof FaultSmtpServer.Drip d) {
                what = (step == Step.DOT ? "stores the message, then " : "") + "sends `" + d.line() + "` every "
                        + d.millis() + " ms, never a last line";
            } else if (action instanceof FaultSmtpServer.Trickle t) {
                what = "sends its reply one byte every " + t.millis() + " ms";
            } else if (action instanceof FaultSmtpServer.Flood) {
                what = (step == Step.DOT ? "stores the message, then " : "") + "sends a line without end";
            } else if (action instanceof FaultSmtpServer.StallHandshake h) {
                what = "answers 220, then sends its TLS handshake one byte every " + h.millis() + " ms";
            } else {
                what = "`" + ((FaultSmtpServer.Reply) action).line().replace("\r\n", " / ") + "`";
            }
            return what;
        }
    }

    /** A second fault in a cell's session. */
    public record Then(Step step, Action action) {
    }

    private static Cell cell(Step step, int nth, Action action, int sessions, String outcomes, String step1,
            Integer code1, String status, int primaryCopies, int fallbackCopies, int breaker) {
        return new Cell(step, nth, action, sessions, step == Step.RCPT ? 2 : 1,
                step == Step.RSET || step == Step.MAIL && nth == 2,
                step == Step.BODY, List.of(outcomes.split(" ")), step1, code1, status,
                outcomes.contains("uncertain"), new int[] {primaryCopies, fallbackCopies}, breaker, "", null);
    }

    /** A session failure of the primary: the same job goes to the fallback at once and is sent there. */
    private static Cell failover(Step step, int nth, Action action, String step1, Integer code1) {
        return cell(step, nth, action, ALWAYS, "primary:endpoint_down fallback:sent", step1, code1, "SENT", 0, 1, 1);
    }

    /** The cells, in the order they run: throttled ones last (they slow the group down for a while). */
    public static final List<Cell> CELLS = List.of(
            failover(Step.CONNECT, 1, refuse(), "connect", null),
            failover(Step.CONNECT, 1, drop(), "connect", null),
            failover(Step.GREETING, 1, close(), "greeting", null),
            failover(Step.GREETING, 1, silent(), "greeting", null),
            failover(Step.GREETING, 1, reply("421 4.3.2 Service not available"), "greeting", 421),
            failover(Step.GREETING, 1, reply("554 5.3.2 No service here"), "greeting", 554),
            failover(Step.EHLO, 1, close(), "ehlo", null),
            failover(Step.EHLO, 1, silent(), "ehlo", null),
            failover(Step.EHLO, 1, reply("421 4.3.2 Closing"), "ehlo", null)
                    .because("the server closes after 421; the HELO that follows gets no reply"),
            failover(Step.EHLO, 1, reply("554 5.5.1 Not now"), "starttls", null)
                    .because("Angus Mail falls back to HELO, which offers no STARTTLS: never plaintext"),
            failover(Step.EHLO, 2, close(), "ehlo", null),
            failover(Step.EHLO, 2, silent(), "ehlo", null),
            failover(Step.STARTTLS, 1, close(), "starttls", null),
            failover(Step.STARTTLS, 1, silent(), "starttls", null),
            failover(Step.STARTTLS, 1, reply("454 4.7.0 TLS not available"), "starttls", 454),
            failover(Step.AUTH, 1, close(), "auth", null),
            failover(Step.AUTH, 1, silent(), "auth", null),
            failover(Step.AUTH, 1, reply("454 4.7.0 Temporary authentication failure"), "auth", 454),
            cell(Step.AUTH, 1, reply("535 5.7.8 Authentication credentials invalid"), ALWAYS,
                    "primary:config_error fallback:sent", "auth", 535, "SENT", 0, 1, 1)
                    .because("plus an ERROR line naming the settings; open for growing periods"),
            failover(Step.MAIL, 1, close(), "mail", null),
            failover(Step.MAIL, 1, silent(), "mail", null),
            cell(Step.MAIL, 1, reply("451 4.3.0 Try again later"), ONCE, "primary:transient primary:sent", "mail", 451,
                    "SENT", 1, 0, 0),
            cell(Step.MAIL, 1, reply("451 4.3.0 Try again later"), ALWAYS,
                    "primary:transient primary:transient primary:transient", "mail", 451, "FAILED", 0, 0, 0),
            cell(Step.MAIL, 1, reply("550 5.7.1 Sender refused"), ALWAYS, "primary:rejected", "mail", 550, "REJECTED",
                    0, 0, 0),
            failover(Step.RCPT, 1, close(), "rcpt", null),
            failover(Step.RCPT, 2, silent(), "rcpt", null)
                    .because("the first RCPT's 250 never stands for the message (CONTRACT 8.1)"),
            cell(Step.RCPT, 2, reply("451 4.2.0 Try this one later"), ONCE, "primary:sent primary:sent", "dot", 250,
                    "SENT", 2, 0, 0).because("ada gets it at once and the job is completed; bob alone on the retry"),
            cell(Step.RCPT, 2, reply("550 5.1.1 No such user"), ALWAYS, "primary:sent", "dot", 250, "SENT", 1, 0, 0)
                    .because("ada accepted, bob in rejectedRecipients"),
            failover(Step.DATA, 1, close(), "data", null),
            failover(Step.DATA, 1, silent(), "data", null),
            cell(Step.DATA, 1, reply("451 4.3.0 Try again later"), ONCE, "primary:transient primary:sent", "data", 451,
                    "SENT", 1, 0, 0),
            cell(Step.DATA, 1, reply("554 5.6.0 Not today"), ALWAYS, "primary:rejected", "data", 554, "REJECTED", 0,
                    0, 0),
            failover(Step.BODY, 1, close(), "data", null).because("a 7 MB message: the write fails before the dot"),
            failover(Step.BODY, 1, silent(), "data", null).because("the write times out (write-timeout)"),
            cell(Step.DOT, 1, close(), ONCE, "primary:uncertain primary:sent", "dot", null, "SENT", 2, 0, 0)
                    .because("resent through a retry tier; both copies carry one Message-ID"),
            cell(Step.DOT, 1, silent(), ONCE, "primary:uncertain primary:sent", "dot", null, "SENT", 2, 0, 0)
                    .because("after data-timeout"),
            cell(Step.DOT, 1, close(), ALWAYS, "primary:uncertain primary:uncertain primary:uncertain", "dot", null,
                    "UNCERTAIN", 3, 0, 2).because("uncertain counts toward max-attempts (3 here), never FAILED"),
            cell(Step.DOT, 1, reply("451 4.3.0 Queue file write error"), ONCE, "primary:transient primary:sent", "dot",
                    451, "SENT", 1, 0, 0),
            cell(Step.DOT, 1, reply("554 5.7.1 Message refused"), ALWAYS, "primary:rejected", "dot", 554, "REJECTED",
                    0, 0, 0),
            cell(Step.RSET, 1, close(), ONCE, "primary:sent", "dot", 250, "SENT", 1, 0, 0)
                    .because("the kept session is replaced by a new one"),
            cell(Step.RSET, 1, reply("421 4.3.2 Closing"), ONCE, "primary:sent", "dot", 250, "SENT", 1, 0, 0),
            cell(Step.RSET, 1, reply("554 5.5.1 No"), ONCE, "primary:sent", "dot", 250, "SENT", 1, 0, 0),
            cell(Step.RSET, 1, silent(), ONCE, "primary:endpoint_down fallback:sent", "mail", null, "SENT", 0, 1, 1)
                    .because("found within connect-timeout"),
            cell(Step.MAIL, 2, close(), ONCE, "primary:sent", "dot", 250, "SENT", 1, 0, 0)
                    .because("closed while idle: the message goes on a new session"),
            cell(Step.MAIL, 2, reply("421 4.4.2 Idle timeout, closing"), ONCE, "primary:sent", "dot", 250, "SENT", 1, 0,
                    0).because("a server ending an idle session says 421 first: a new session, not throttling"),
            cell(Step.MAIL, 2, silent(), ONCE, "primary:endpoint_down fallback:sent", "mail", null, "SENT", 0, 1, 1)
                    .because("found within read-timeout (MAIL is a command of the message)"),
            // replies without end (CONTRACT 9.1): each reply within its step's timeout in total, and 64 KiB
            failover(Step.GREETING, 1, drip("220-still greeting", 500), "greeting", null)
                    .because("read-timeout in total, not per line"),
            failover(Step.GREETING, 1, trickle(300), "greeting", null).because("read-timeout in total, not per byte"),
            failover(Step.GREETING, 1, flood(), "greeting", null)
                    .because("cut at 64 KiB; the heap stays flat"),
            failover(Step.EHLO, 2, drip("250-still listing", 500), "ehlo", null),
            failover(Step.STARTTLS, 1, stallHandshake(300), "starttls", 220)
                    .because("the handshake within read-timeout in total"),
            failover(Step.AUTH, 1, flood(), "auth", null),
            failover(Step.MAIL, 1, drip("250-nearly", 500), "mail", null),
            failover(Step.RCPT, 2, trickle(300), "rcpt", null),
            cell(Step.DOT, 1, drip("250-queued, nearly", 500), ONCE, "primary:uncertain primary:sent", "dot", null,
                    "SENT", 2, 0, 0).because("no complete reply within data-timeout: the server may have it"),
            cell(Step.DOT, 1, flood(), ONCE, "primary:uncertain primary:sent", "dot", null, "SENT", 2, 0, 0)
                    .because("cut at 64 KiB: no complete reply, the server may have it"),
            cell(Step.DOT, 1, reply("451 4.3.0 Queue file write error"), ONCE, "primary:transient primary:sent", "dot",
                    451, "SENT", 1, 0, 0).then(Step.RSET, drip("250-resetting", 500))
                    .because("the RSET after a refusal within read-timeout, not data-timeout, nor without end"),
            // AUTH that cannot happen is a setting to fix (config_error), not the endpoint down
            cell(Step.EHLO, 2, reply("250 faulty.test"), ALWAYS, "primary:config_error fallback:sent", "auth", null,
                    "SENT", 0, 1, 1).because("credentials are set and the server offers no AUTH: ERROR naming them"),
            cell(Step.EHLO, 2, reply("250-faulty.test\r\n250 AUTH CRAM-MD5"), ALWAYS,
                    "primary:config_error fallback:sent", "auth", null, "SENT", 0, 1, 1)
                    .because("no mechanism in common: ERROR naming auth-mechanisms"),
            cell(Step.MAIL, 1, reply("421 4.3.2 Too many messages, slow down"), ONCE, "primary:throttled primary:sent",
                    "mail", 421, "SENT", 1, 0, 0).because("the group's rate halves"),
            cell(Step.DOT, 1, reply("421 4.7.0 Rate limit exceeded"), ONCE, "primary:throttled primary:sent", "dot",
                    421, "SENT", 1, 0, 0),
            cell(Step.RCPT, 2, reply("421 4.3.2 Closing"), ONCE, "primary:throttled primary:sent", "rcpt", 421, "SENT",
                    1, 0, 0).because("the server closes after 421: Angus finds it at DATA; ada and bob on the retry"));

    private FaultMatrix() {
    }

    /** The README's table: one row per cell. */
    public static String markdown() {
        String head = "| the primary, at | does | class | sessions of the job | result | copies stored (primary + fallback) "
                + "| primary's breaker | note |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n";
        return head + CELLS.stream().map(c -> "| " + c.stepLabel() + " | " + c.does() + " | `"
                + c.outcomes().get(0).replaceFirst("^.*:", "") + "`" + (c.code1() == null ? "" : " (" + c.code1() + ")")
                + " | " + String.join(" → ", c.outcomes()) + " | " + c.status()
                + (c.duplicate() ? ", possibleDuplicate" : "") + " | " + c.copies()[0] + " + " + c.copies()[1] + " | "
                + (c.breaker() == 0 ? "untouched" : c.breaker() + (c.breaker() == 1 ? " failure" : " failures")) + " | "
                + c.note() + " |")
                .collect(Collectors.joining("\n")) + "\n";
    }
}
