package io.submissionrouter.testing;

import io.quarkus.test.common.QuarkusTestResource;
import io.submissionrouter.relay.Breaker;
import io.submissionrouter.relay.Endpoint;
import io.submissionrouter.relay.RelayGroups;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * Base of the integration tests: the router runs against the real broker and SMTP servers of
 * {@link RouterTestResources}; every test starts with both endpoints up and both breakers closed.
 */
@QuarkusTestResource(value = RouterTestResources.class, restrictToAnnotatedClass = false)
public abstract class RouterTestBase {

    /** The retry tiers and waiting topic of the test settings (delays 200ms,400ms). */
    protected static final String RETRY_200MS = "email.jobs.retry-200ms";
    protected static final String RETRY_400MS = "email.jobs.retry-400ms";
    protected static final String WAIT_DEFAULT = "email.jobs.retry-wait-default";
    protected static final String WAIT_BULK = "email.jobs.retry-wait-bulk";
    /** Operators' endpoint commands. */
    protected static final String CONTROL = "email.control";

    protected static KafkaTestClient kafka;

    @Inject
    protected RelayGroups groups;

    @BeforeAll
    static void connect() {
        kafka = new KafkaTestClient(RouterTestResources.kafka().bootstrapServers(),
                List.of("email.results", "email.attempts", "email.dlq",
                RETRY_200MS, RETRY_400MS, WAIT_DEFAULT, WAIT_BULK, CONTROL));
    }

    @AfterAll
    static void disconnect() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @BeforeEach
    void endpointsUp() {
        primary().reset();
        fallback().reset();
        bulk().reset();
        // a test that failed half-way must not leave an operator's suspension behind
        groups.all().forEach(e -> e.breaker().resume());
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> groups.all().stream()
                .allMatch(e -> e.breaker().stateCode() == Breaker.CLOSED));
    }

    protected static TestSmtpServer primary() {
        return RouterTestResources.primary();
    }

    protected static TestSmtpServer fallback() {
        return RouterTestResources.fallback();
    }

    protected static TestSmtpServer bulk() {
        return RouterTestResources.bulk();
    }

    /** The job's sessions as {@code endpoint:outcome}, in order (skipped endpoints left out). */
    protected static List<String> sessions(String jobId) {
        List<String> out = new java.util.ArrayList<>();
        for (com.fasterxml.jackson.databind.JsonNode a : kafka.attempts(jobId)) {
            if (!a.path("outcome").asText().equals("skipped_open")) {
                out.add(a.path("endpoint").path("name").asText() + ":" + a.path("outcome").asText());
            }
        }
        return out;
    }

    protected Endpoint endpoint(String name) {
        return groups.endpoint("default", name);
    }
}
