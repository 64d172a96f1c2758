package io.submissionrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.junit.QuarkusTest;
import io.submissionrouter.relay.Endpoint;
import io.submissionrouter.testing.FaultMatrix;
import io.submissionrouter.testing.FaultSmtpServer;
import io.submissionrouter.testing.Jobs;
import io.submissionrouter.testing.RouterTestBase;
import io.submissionrouter.testing.RouterTestResources;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fault matrix (README "How each SMTP answer is treated"): the primary of the relay group {@code faults} fails at
 * one step of the session, and the router must classify it as CONTRACT 5.2 says, report a true result (8.1), fail
 * over or retry or neither, count the failure against the breaker or not, and let each server store no more copies
 * than the contract allows.
 */
@QuarkusTest
class FaultMatrixTest extends RouterTestBase {

    private static final String BIG = Base64.getEncoder().encodeToString(randomBytes(5_500_000));

    static Stream<Arguments> cells() {
        return FaultMatrix.CELLS.stream().map(c -> Arguments.of(c.name(), c));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cells")
    void theResultTellsTheTruthWhenThePrimaryFails(String name, FaultMatrix.Cell cell) throws InterruptedException {
        FaultSmtpServer faulty = RouterTestResources.faulty();
        FaultSmtpServer healthy = RouterTestResources.healthy();
        freshBreakers();
        try {
            if (cell.warmUp()) {
                JsonNode warm = send(Jobs.newJobId("warm-up"), 1, false);
                assertThat(warm.path("endpoint").path("name").asText()).isEqualTo("primary");
                if (cell.step() == FaultSmtpServer.Step.RSET) {
                    // idle longer than check-after-idle: the kept session is checked with RSET before MAIL
                    Thread.sleep(RouterTestResources.CHECK_AFTER_IDLE.toMillis() + 300);
                }
            }
            faulty.fault(cell.step(), cell.nth(), cell.action(), cell.sessions());
            if (cell.then() != null) {
                faulty.fault(cell.then().step(), 1, cell.then().action(), cell.sessions());
            }
            String jobId = Jobs.newJobId("matrix-" + name);
            JsonNode result = send(jobId, cell.recipients(), cell.bigBody());

            assertThat(result.path("status").asText()).as("status").isEqualTo(cell.status());
            assertThat(result.path("possibleDuplicate").asBoolean()).as("possibleDuplicate").isEqualTo(cell.duplicate());
            List<String> sessions = awaitSessions(jobId, cell.outcomes().size());
            assertThat(sessions).as("sessions").containsExactlyElementsOf(cell.outcomes());
            assertThat(result.path("attempts").asInt()).as("attempts").isEqualTo(cell.outcomes().size());
            JsonNode first = kafka.attempts(jobId).get(0);
            assertThat(first.path("step").asText()).as("first attempt's step").isEqualTo(cell.step1());
            if (cell.code1() == null) {
                assertThat(first.path("smtpCode").isNull()).as("first attempt had no reply").isTrue();
            } else {
                assertThat(first.path("smtpCode").asInt()).as("first attempt's code").isEqualTo(cell.code1());
            }
            everyRecipientInExactlyOneList(result, cell.recipients());
            String messageId = result.path("messageId").asText();
            assertThat(copies(faulty, messageId)).as("copies the primary stored").isEqualTo(cell.copies()[0]);
            assertThat(copies(healthy, messageId)).as("copies the fallback stored").isEqualTo(cell.copies()[1]);
            assertThat(faultyEndpoint().breaker().counters().failedCalls()).as("failures the primary's breaker counted")
                    .isEqualTo(cell.breaker());
            assertThat(faulty.flooded()).as("bytes of a reply without end the router read before it hung up: a bound, "
                    + "not the server's cap").isLessThan(FaultSmtpServer.FLOOD_CAP / 4);
            assertThat(kafka.on("email.dlq", jobId)).as("dead letters")
                    .hasSize(cell.status().equals("FAILED") ? 1 : 0);
        } finally {
            faulty.reset();
            faulty.cutAll(); // kept sessions too: the next cell starts with a new session
            healthy.reset();
        }
    }

    private Endpoint faultyEndpoint() {
        return groups.endpoint("faults", "primary");
    }

    /** Each cell starts with closed breakers and empty windows (an operator's suspend and resume). */
    private void freshBreakers() {
        for (Endpoint e : groups.group("faults")) {
            e.breaker().suspend(Instant.now().plusSeconds(60), Instant.now());
            e.breaker().resume();
        }
    }

    private static JsonNode send(String jobId, int recipients, boolean big) {
        ObjectNode job = Jobs.job(jobId);
        job.put("relay", "faults");
        ArrayNode to = job.putArray("to").add("ada@example.org");
        if (recipients > 1) {
            to.add("bob@example.org");
        }
        if (big) {
            // larger than what the client's socket buffers take in: the server sees the client mid-body
            job.putArray("attachments").addObject().put("filename", "big.bin")
                    .put("contentType", "application/octet-stream").put("contentBase64", BIG);
        }
        kafka.sendJob(jobId, Jobs.json(job));
        return kafka.awaitResult(jobId, Duration.ofSeconds(60));
    }

    /** The job's sessions as {@code endpoint:outcome}, in order (skipped endpoints left out). */
    private static List<String> awaitSessions(String jobId, int expected) {
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> sessions(jobId).size() >= expected);
        return sessions(jobId);
    }

    private static void everyRecipientInExactlyOneList(JsonNode result, int recipients) {
        List<String> all = new ArrayList<>();
        result.path("acceptedRecipients").forEach(a -> all.add(a.asText()));
        result.path("rejectedRecipients").forEach(r -> all.add(r.path("address").asText()));
        result.path("failedRecipients").forEach(r -> all.add(r.path("address").asText()));
        Set<String> distinct = new HashSet<>(all);
        assertThat(all).as("every recipient in exactly one list").hasSize(distinct.size());
        assertThat(distinct).as("every recipient in exactly one list").containsExactlyInAnyOrderElementsOf(
                recipients > 1 ? List.of("ada@example.org", "bob@example.org") : List.of("ada@example.org"));
    }

    private static long copies(FaultSmtpServer server, String messageId) {
        return server.received().stream().filter(r -> messageId.equals(r.messageId())).count();
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        new Random(7).nextBytes(b);
        return b;
    }
}
