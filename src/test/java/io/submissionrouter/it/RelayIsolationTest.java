package io.submissionrouter.it;

import static io.submissionrouter.testing.FaultSmtpServer.Action.delay;
import static io.submissionrouter.testing.FaultSmtpServer.Action.reply;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.junit.QuarkusTest;
import io.submissionrouter.testing.FaultSmtpServer;
import io.submissionrouter.testing.Jobs;
import io.submissionrouter.testing.RouterTestBase;
import io.submissionrouter.testing.RouterTestResources;
import java.time.Duration;
import java.time.Instant;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Each relay group's retries have a consumer and a thread of their own (CONTRACT 5.3 step 3): a job of one group
 * whose retry waits long for a server's reply never holds up another group's retries.
 */
@QuarkusTest
class RelayIsolationTest extends RouterTestBase {

    @AfterEach
    void clean() {
        RouterTestResources.faulty().reset();
        RouterTestResources.faulty().cutAll();
    }

    @Test
    void aSlowRetryOfOneGroupDoesNotHoldUpAnotherGroupsRetries() {
        FaultSmtpServer faulty = RouterTestResources.faulty();
        // the faults group's job: 451 first, then its retry waits 6 s for the reply to the final dot
        faulty.fault(FaultSmtpServer.Step.MAIL, 1, reply("451 4.3.0 Try again later"), 1);
        faulty.fault(FaultSmtpServer.Step.DOT, 1, delay(6000), 1);
        String slowId = Jobs.newJobId("slow-retry");
        ObjectNode slow = Jobs.job(slowId);
        slow.put("relay", "faults");
        kafka.sendJob(slowId, Jobs.json(slow));
        // its retry is under way when the default group's job needs a retry of its own
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> faulty.sessions() >= 2);

        String quickId = Jobs.newJobId("quick-retry");
        Instant sent = Instant.now();
        kafka.sendJob(quickId, Jobs.json(Jobs.withFault(quickId, "data-451-once")));
        JsonNode quick = kafka.awaitResult(quickId, Duration.ofSeconds(30));
        Instant quickDone = Instant.now();
        JsonNode slowResult = kafka.awaitResult(slowId, Duration.ofSeconds(30));

        assertThat(quick.path("status").asText()).isEqualTo("SENT");
        assertThat(quick.path("attempts").asInt()).isEqualTo(2);
        assertThat(slowResult.path("status").asText()).isEqualTo("SENT");
        assertThat(Duration.between(sent, quickDone)).as("the default group's retry did not wait for the other's")
                .isLessThan(Duration.ofSeconds(4));
        assertThat(Instant.parse(quick.path("completedAt").asText()))
                .isBefore(Instant.parse(slowResult.path("completedAt").asText()));
    }
}
