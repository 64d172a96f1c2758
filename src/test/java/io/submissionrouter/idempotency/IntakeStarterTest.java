package io.submissionrouter.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import io.submissionrouter.config.SubmissionConfig;
import java.lang.reflect.Proxy;
import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

/**
 * The intake-starter route (routes/periodic.yaml) makes an attempt only once Camel has started: a route started while
 * Camel is still starting is only marked started, and an intake "started" then would never take a job.
 */
class IntakeStarterTest {

    /** Settings whose every text is "x" (the starter only keeps the topic names). */
    private static <T> T settings(Class<T> type) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            Class<?> r = method.getReturnType();
            return r == String.class ? "x" : r.isInterface() ? settings(r) : null;
        }));
    }

    @Test
    void noAttemptBeforeCamelHasStartedNorAfterTheApplicationStops() {
        CamelContext camel = new DefaultCamelContext();
        try {
            IntakeStarter starter = new IntakeStarter(camel, null, settings(SubmissionConfig.class), null, null, null);
            assertThat(starter.pending()).as("Camel not started yet").isFalse();
            camel.start();
            assertThat(starter.pending()).as("Camel started").isTrue();
            starter.onShutdown(null);
            assertThat(starter.pending()).as("the application stops").isFalse();
        } finally {
            camel.stop();
        }
    }
}
