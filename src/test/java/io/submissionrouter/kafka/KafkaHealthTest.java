package io.submissionrouter.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Properties;
import org.apache.camel.component.kafka.TaskHealthState;
import org.junit.jupiter.api.Test;

/** A consumer without partitions is idle, not ill: readiness stays UP for it (issue 14, more consumers than partitions). */
class KafkaHealthTest {

    private static TaskHealthState state(boolean ready, boolean terminated, Exception lastError) {
        return new TaskHealthState(ready, terminated, true, lastError, "consumer-1", 5000, new Properties());
    }

    @Test
    void aConsumerWithoutAReadyFetchConnectionWorksUnlessItFailedOrGaveUp() {
        assertThat(KafkaHealth.working(state(true, false, null))).isTrue();
        // Camel says "not ready (recovery in progress)" for an idle consumer with no fetch connection
        assertThat(KafkaHealth.working(state(false, false, null))).isTrue();
        assertThat(KafkaHealth.working(state(false, false, new IllegalStateException("poll failed"))))
                .isFalse();
        assertThat(KafkaHealth.working(state(false, true, null))).isFalse();
    }
}
