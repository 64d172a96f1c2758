package io.submissionrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.junit.QuarkusTest;
import io.submissionrouter.relay.Endpoint;
import io.submissionrouter.testing.FaultSmtpServer;
import io.submissionrouter.testing.Jobs;
import io.submissionrouter.testing.RecipientMatrix;
import io.submissionrouter.testing.RouterTestBase;
import io.submissionrouter.testing.RouterTestResources;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Recipients and server limits (README "How each SMTP answer is treated", second table; CONTRACT 9.1, 9.2): a job
 * with unusual addresses, or a primary with a limit, goes through the router against the real broker; its result's
 * lists must be exact (each recipient in exactly the one the cell says), each accepted recipient must have exactly one
 * copy across both servers and every other none, and the sessions and breaker counts must be as the cell says.
 */
@QuarkusTest
class RecipientMatrixTest extends RouterTestBase {

    static Stream<Arguments> cells() {
        return RecipientMatrix.CELLS.stream().map(c -> Arguments.of(c.name(), c));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cells")
    void everyRecipientEndsWhereTheServerPutIt(String name, RecipientMatrix cell) {
        FaultSmtpServer faulty = RouterTestResources.faulty();
        FaultSmtpServer healthy = RouterTestResources.healthy();
        for (Endpoint e : groups.group("faults")) {
            e.breaker().suspend(Instant.now().plusSeconds(60), Instant.now());
            e.breaker().resume();
        }
        try {
            cell.server().accept(faulty);
            String jobId = Jobs.newJobId("recipients");
            ObjectNode job = Jobs.job(jobId);
            job.put("relay", "faults");
            ArrayNode to = job.putArray("to");
            cell.to().forEach(to::add);
            kafka.sendJob(jobId, Jobs.json(job));
            JsonNode result = kafka.awaitResult(jobId, Duration.ofSeconds(90));

            assertThat(result.path("status").asText()).as("status").isEqualTo(cell.status());
            assertThat(addresses(result.path("acceptedRecipients"), false)).as("accepted")
                    .containsExactlyInAnyOrderElementsOf(cell.accepted());
            assertThat(addresses(result.path("rejectedRecipients"), true)).as("rejected")
                    .containsExactlyInAnyOrderElementsOf(cell.rejected());
            assertThat(addresses(result.path("failedRecipients"), true)).as("failed")
                    .containsExactlyInAnyOrderElementsOf(cell.failed());
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> sessions(jobId).size() >= cell.sessions().size());
            assertThat(sessions(jobId)).as("sessions").containsExactlyElementsOf(cell.sessions());
            assertThat(result.path("attempts").asInt()).as("attempts").isEqualTo(cell.sessions().size());
            String messageId = result.path("messageId").asText();
            for (String address : cell.to()) {
                long copies = copies(faulty, messageId, address) + copies(healthy, messageId, address);
                assertThat(copies).as("copies %s got", address).isEqualTo(cell.accepted().contains(address) ? 1 : 0);
            }
            assertThat(groups.endpoint("faults", "primary").breaker().counters().failedCalls())
                    .as("failures the primary's breaker counted").isEqualTo(cell.primaryBreaker());
            assertThat(groups.endpoint("faults", "fallback").breaker().counters().failedCalls())
                    .as("failures the fallback's breaker counted").isZero();
        } finally {
            faulty.reset();
            faulty.cutAll();
            healthy.reset();
        }
    }

    private static List<String> addresses(JsonNode list, boolean items) {
        List<String> out = new ArrayList<>();
        list.forEach(n -> out.add(items ? n.path("address").asText() : n.asText()));
        return out;
    }


    /** Messages with this Message-ID the server stored for {@code address} (as the router sent it). */
    private static long copies(FaultSmtpServer server, String messageId, String address) {
        return server.received().stream()
                .filter(r -> messageId.equals(r.messageId()))
                .flatMap(r -> r.recipients().stream())
                .filter(address::equals)
                .count();
    }
}
