package io.submissionrouter.pass;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.camel.CamelExecutionException;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;

/** A bug met by one job is that job's fault (dead letter); Kafka trouble and shutdown are not (consume again). */
class JobFaultTest {

    private final PassConcluder triage = new PassConcluder(null, null);

    private boolean isJobFault(Throwable t) {
        return triage.isJobFault(t);
    }

    @Test
    void aBugInsideTheRouterIsTheJobsFault() {
        assertThat(isJobFault(new NullPointerException("boom"))).isTrue();
        assertThat(isJobFault(new IllegalStateException("no status"))).isTrue();
    }

    @Test
    void kafkaTroubleIsNotEvenWhenWrapped() {
        assertThat(isJobFault(new TimeoutException("no ack"))).isFalse();
        assertThat(isJobFault(new CamelExecutionException("send failed", null, new TimeoutException("no ack"))))
                .isFalse();
    }

    @Test
    void anInterruptedSessionIsNot() {
        assertThat(isJobFault(new RuntimeException(new InterruptedException()))).isFalse();
    }

    @Test
    void aJobHeldWhileTheCompletionTopicRefusesRecordsIsNot() {
        assertThat(isJobFault(new io.submissionrouter.kafka.KafkaWrites.Refusing("email.jobs.completed"))).isFalse();
    }
}
