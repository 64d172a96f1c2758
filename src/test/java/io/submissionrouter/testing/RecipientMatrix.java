package io.submissionrouter.testing;

import static io.submissionrouter.testing.FaultSmtpServer.Action.delay;

import io.submissionrouter.testing.FaultSmtpServer.Step;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * How the router treats unusual recipient addresses and a server's limits (CONTRACT 9.1 and 9.2): each cell is a job
 * with its recipients, how the primary of the relay group {@code faults} (a {@link FaultSmtpServer}) treats them, and
 * what the router must make of it: its sessions, its result's three lists exactly, and the copies each recipient got.
 * RecipientMatrixTest runs every cell through the router against the real broker; README "How each SMTP answer is
 * treated" shows {@link #markdown()}, kept identical by FaultMatrixReadmeTest.
 *
 * @param name      what the cell is about
 * @param to        the job's recipients, as the producer wrote them
 * @param server    what the primary does (with the fault counters reset before)
 * @param serverDoes the same, in words (README)
 * @param sessions  the attempt events' outcomes, endpoint by endpoint ({@code endpoint:outcome})
 * @param status    the result's status
 * @param accepted  acceptedRecipients, in any order
 * @param rejected  rejectedRecipients' addresses
 * @param failed    failedRecipients' addresses
 * @param primaryBreaker  failures the primary's breaker counted
 * @param note      why, where it is not plain
 */
public record RecipientMatrix(String name, List<String> to, Consumer<FaultSmtpServer> server, String serverDoes,
        List<String> sessions, String status, List<String> accepted, List<String> rejected, List<String> failed,
        int primaryBreaker, String note) {

    private static final String TOO_MANY = "452 4.5.3 Too many recipients";

    /** Every recipient accepted by the primary in one session. */
    private static RecipientMatrix allSent(String name, String serverDoes, Consumer<FaultSmtpServer> server,
            String... to) {
        return new RecipientMatrix(name, List.of(to), server, serverDoes, List.of("primary:sent"), "SENT",
                List.of(to), List.of(), List.of(), 0, "");
    }

    private static RecipientMatrix because(RecipientMatrix c, String why) {
        return new RecipientMatrix(c.name, c.to, c.server, c.serverDoes, c.sessions, c.status, c.accepted, c.rejected,
                c.failed, c.primaryBreaker, why);
    }

    private static final Consumer<FaultSmtpServer> WELL_BEHAVED = s -> { };

    public static final List<RecipientMatrix> CELLS = List.of(
            because(allSent("a quoted local part holding `>`", "takes both", WELL_BEHAVED,
                    "\"a>b\"@example.org", "c@example.org"),
                    "each RCPT reply is the address's that RCPT sent, never one read back from its text"),
            allSent("a quoted local part holding a space", "takes both", WELL_BEHAVED,
                    "\"a b\"@example.org", "c@example.org"),
            allSent("a quoted local part holding an escaped quote", "takes both", WELL_BEHAVED,
                    "\"a\\\"b\"@example.org", "c@example.org"),
            allSent("a quoted local part holding `<x>`", "takes both", WELL_BEHAVED,
                    "\"<x>\"@example.org", "c@example.org"),
            because(allSent("an SMTPUTF8 local part", "takes both (it offers SMTPUTF8)", WELL_BEHAVED,
                    "jörg@example.org", "c@example.org"), "a session of its own, with SMTPUTF8 on MAIL FROM"),
            because(allSent("two local parts that differ only in case", "takes both", WELL_BEHAVED,
                    "Ada@example.org", "ada@example.org"),
                    "local parts are case-sensitive (RFC 5321 2.4): two mailboxes, one RCPT each"),
            new RecipientMatrix("a quoted local part holding `>`, refused", List.of("\"a>b\"@example.org", "c@example.org"),
                    s -> s.answerRecipient("\"a>b\"@example.org", "550 5.1.1 No such user"),
                    "`550 5.1.1` to `\"a>b\"@example.org`", List.of("primary:sent"), "SENT",
                    List.of("c@example.org"), List.of("\"a>b\"@example.org"), List.of(), 0,
                    "refused for good at once, never retried"),
            because(allSent("five recipients, two a transaction", "`" + TOO_MANY + "` to the 3rd RCPT of a transaction on",
                    s -> s.recipientLimit(2, TOO_MANY),
                    "r1@example.org", "r2@example.org", "r3@example.org", "r4@example.org", "r5@example.org"),
                    "three transactions in one session, at once: one attempt, each recipient one copy"),
            because(allSent("three recipients, one a transaction, the historical 552",
                    "`552 5.5.3 Too many recipients` to the 2nd RCPT of a transaction on",
                    s -> s.recipientLimit(1, "552 5.5.3 Too many recipients"),
                    "r1@example.org", "r2@example.org", "r3@example.org"),
                    "temporary, as RFC 5321 4.5.3.1.10 says: never rejectedRecipients"),
            new RecipientMatrix("a limit and a full mailbox", List.of("a@example.org", "b@example.org", "c@example.org",
                    "d@example.org"),
                    s -> s.recipientLimit(2, TOO_MANY).answerRecipient("b@example.org", "452 4.2.2 Mailbox full"),
                    "two a transaction, `452 4.2.2 Mailbox full` to b every time",
                    List.of("primary:sent", "primary:transient", "primary:transient"), "SENT",
                    List.of("a@example.org", "c@example.org", "d@example.org"), List.of(), List.of("b@example.org"), 0,
                    "the full mailbox alone goes through the retry tiers, and ends in failedRecipients"),
            new RecipientMatrix("two a transaction, the second transaction's MAIL unanswered",
                    List.of("t1@example.org", "t2@example.org", "t3@example.org"),
                    s -> s.recipientLimit(2, TOO_MANY).fault(Step.MAIL, 2, FaultSmtpServer.Action.silent(), 1),
                    "`" + TOO_MANY + "` to the 3rd RCPT, then silent at the next MAIL, in the first session",
                    List.of("primary:endpoint_down", "primary:sent"), "SENT",
                    List.of("t1@example.org", "t2@example.org", "t3@example.org"), List.of(), List.of(), 1,
                    "t1, t2 accepted and completed first; t3 through a retry tier, never to the fallback in a pass "
                            + "whose accepted recipients are not yet written down"),
            new RecipientMatrix("two a transaction, the second transaction's MAIL refused",
                    List.of("m1@example.org", "m2@example.org", "m3@example.org"),
                    s -> s.recipientLimit(2, TOO_MANY).fault(Step.MAIL, 2,
                            FaultSmtpServer.Action.reply("550 5.7.1 One message per session"), 1),
                    "`" + TOO_MANY + "` to the 3rd RCPT, then `550` to the next MAIL, in the first session",
                    List.of("primary:transient", "primary:sent"), "SENT",
                    List.of("m1@example.org", "m2@example.org", "m3@example.org"), List.of(), List.of(), 0,
                    "a refusal of a session's next message is no refusal of its recipients: m3 in another session"),
            new RecipientMatrix("the job's time runs out", twelve(), RecipientMatrix::slowRecipients,
                    "answers each RCPT after 1.8 s (read-timeout 2 s), in the first session; job-timeout 20 s",
                    List.of("primary:job_timeout", "primary:sent"), "SENT", twelve(), List.of(), List.of(), 0,
                    "the job's own deadline: no endpoint is charged, no session starts without time for it"));

    private static List<String> twelve() {
        return java.util.stream.IntStream.rangeClosed(1, 12).mapToObj(i -> "slow" + i + "@example.org").toList();
    }

    /** Each RCPT of the first session answered just within read-timeout: together they outlast the job's time. */
    private static void slowRecipients(FaultSmtpServer s) {
        for (int n = 1; n <= 12; n++) {
            s.fault(Step.RCPT, n, delay(1800), 1);
        }
    }

    /** The README's table: one row per cell. */
    public static String markdown() {
        String head = "| recipients | the primary | sessions of the job | result | accepted | rejected | failed | note |\n"
                + "| --- | --- | --- | --- | --- | --- | --- | --- |\n";
        return head + CELLS.stream().map(c -> "| " + c.name + ": " + quoted(c.to) + " | " + c.serverDoes + " | "
                + String.join(" → ", c.sessions) + " | " + c.status + " | " + quoted(c.accepted) + " | "
                + quoted(c.rejected) + " | " + quoted(c.failed) + " | " + c.note + " |")
                .collect(Collectors.joining("\n")) + "\n";
    }

    private static String quoted(List<String> addresses) {
        if (addresses.size() > 4) {
            return addresses.size() + " recipients";
        }
        return addresses.stream().map(a -> "`" + a.replace("|", "\\|") + "`").collect(Collectors.joining(", "));
    }
}
