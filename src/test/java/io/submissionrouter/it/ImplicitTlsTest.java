package io.submissionrouter.it;

import static io.submissionrouter.testing.FaultSmtpServer.Action.delay;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.junit.QuarkusTest;
import io.submissionrouter.testing.FaultSmtpServer;
import io.submissionrouter.testing.Jobs;
import io.submissionrouter.testing.RouterTestBase;
import io.submissionrouter.testing.RouterTestResources;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A relay group with TLS from the first byte (as on port 465): its sessions get the same socket handling as STARTTLS
 * ones, so the reply to the final dot is waited for as long as data-timeout allows, and sessions are kept and reused.
 */
@QuarkusTest
class ImplicitTlsTest extends RouterTestBase {

    private static FaultSmtpServer server() {
        return RouterTestResources.implicit();
    }

    @AfterEach
    void clean() {
        server().reset();
        server().cutAll();
    }

    @Test
    void aSlowReplyToTheFinalDotIsWaitedForUpToTheDataTimeout() {
        // read-timeout is 2 s and data-timeout 8 s in tests: a 3.5 s answer to the dot is a normal answer
        server().fault(FaultSmtpServer.Step.DOT, 1, delay(3500), 1);
        JsonNode result = send(Jobs.newJobId("implicit-slow-dot"));
        assertThat(result.path("status").asText()).isEqualTo("SENT");
        assertThat(result.path("possibleDuplicate").asBoolean()).isFalse();
        assertThat(result.path("attempts").asInt()).isEqualTo(1);
        assertThat(server().received()).hasSize(1);
    }

    @Test
    void keptSessionsCarryTheNextMessagesWithoutLoggingInAgain() {
        server().cutAll();
        int logins = server().logins();
        for (int i = 0; i < 3; i++) {
            assertThat(send(Jobs.newJobId("implicit-kept-" + i)).path("status").asText()).isEqualTo("SENT");
        }
        assertThat(server().logins() - logins).as("one AUTH for three messages").isEqualTo(1);
        assertThat(server().received()).hasSize(3);
    }

    private static JsonNode send(String jobId) {
        ObjectNode job = Jobs.job(jobId);
        job.put("relay", "implicit");
        kafka.sendJob(jobId, Jobs.json(job));
        return kafka.awaitResult(jobId, Duration.ofSeconds(30));
    }
}
