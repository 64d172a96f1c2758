package io.submissionrouter.intake;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The backoff of a job parked on its group's waiting topic. */
class DueRetriesTest {

    @Test
    void aParkedJobIsLookedAtAgainAfterABackoffThatGrowsToFiveSeconds() {
        assertThat(DueRetries.waitBackoff(1)).isEqualTo(Duration.ofMillis(500));
        assertThat(DueRetries.waitBackoff(2)).isEqualTo(Duration.ofSeconds(1));
        assertThat(DueRetries.waitBackoff(4)).isEqualTo(Duration.ofSeconds(4));
        assertThat(DueRetries.waitBackoff(30)).isEqualTo(Duration.ofSeconds(5));
    }
}
