package io.submissionrouter.retry;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Tier topic names (CONTRACT 1: {@code <prefix>-30s}, {@code <prefix>-2m}, ...). */
class RetryTopicsTest {

    @Test
    void namesEachTierByItsDelayInTheLargestWholeUnit() {
        assertThat(RetryTopics.delayName(Duration.ofSeconds(30))).isEqualTo("30s");
        assertThat(RetryTopics.delayName(Duration.ofMinutes(2))).isEqualTo("2m");
        assertThat(RetryTopics.delayName(Duration.ofMinutes(90))).isEqualTo("90m");
        assertThat(RetryTopics.delayName(Duration.ofHours(1))).isEqualTo("1h");
        assertThat(RetryTopics.delayName(Duration.ofDays(7))).isEqualTo("7d");
        assertThat(RetryTopics.delayName(Duration.ofMillis(200))).isEqualTo("200ms");
    }
}
