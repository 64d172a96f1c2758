package io.submissionrouter.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.job.JobProperties;
import java.time.Duration;
import java.util.Map;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.Test;

/** Refused Kafka writes: classified once, counted, shown, and no SMTP session while completions are refused. */
class KafkaWritesTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final SubmissionConfig config = config(Map.of(
            "submission.smtp.primary.host", "a", "submission.kafka.write-retry-for", "300ms"));
    private final KafkaWrites writes = new KafkaWrites(registry, config,
            new ProducerWatch(config, registry, new DefaultCamelContext()));

    private static SubmissionConfig config(Map<String, String> props) {
        return new SmallRyeConfigBuilder().withMapping(SubmissionConfig.class)
                .withConverter(Duration.class, 200, new DurationConverter())
                .withSources(new PropertiesConfigSource(props, "test", 100)).build()
                .getConfigMapping(SubmissionConfig.class);
    }

    private void refuse(String topic, Exception cause) {
        Exchange exchange = new DefaultExchange(new DefaultCamelContext());
        exchange.setException(cause);
        exchange.setProperty(JobProperties.KAFKA_TOPIC, topic);
        writes.refused(exchange);
    }

    /** A topic refusing again after it took records keeps its one gauge (registering it again, Micrometer warns). */
    @Test
    void aTopicRefusingAgainRegistersItsGaugeOnce() {
        List<String> logged = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                logged.add(String.valueOf(r.getMessage()));
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        capture.setLevel(Level.ALL);
        java.util.logging.Logger micrometer = java.util.logging.Logger.getLogger("io.micrometer");
        Level before = micrometer.getLevel();
        micrometer.setLevel(Level.ALL); // the warning is WARN once in a JVM, DEBUG after that
        micrometer.addHandler(capture);
        try {
            refuse("email.results", new TimeoutException("no ack"));
            writes.ok("email.results", "job-1");
            refuse("email.results", new TimeoutException("no ack"));
        } finally {
            micrometer.removeHandler(capture);
            micrometer.setLevel(before);
        }
        assertThat(writes.refusing()).containsOnlyKeys("email.results");
        assertThat(logged).noneMatch(line -> line.contains("already registered"));
    }

    @Test
    void classifiesCountsAndShowsARefusalUntilTheTopicTakesRecordsAgain() {
        refuse("email.results", new RecordTooLargeException("too large"));
        refuse("email.attempts", new TimeoutException("no ack"));
        assertThat(writes.refusing()).containsOnlyKeys("email.results", "email.attempts");
        assertThat(writes.refusing().get("email.results").kind()).isEqualTo("permanent");
        assertThat(writes.refusing().get("email.attempts").kind()).isEqualTo("transient");
        assertThat(registry.counter("submission.kafka.write.failures", "topic", "email.results", "kind", "permanent")
                .count()).isEqualTo(1);
        assertThat(registry.get("submission.kafka.write.refusing").tag("topic", "email.results").gauge().value())
                .isEqualTo(1);
        writes.ok("email.results", "job-1");
        assertThat(writes.refusing()).containsOnlyKeys("email.attempts");
        assertThat(registry.get("submission.kafka.write.refusing").tag("topic", "email.results").gauge().value())
                .isZero();
        assertThat(KafkaWrites.permanent(new TopicAuthorizationException("no"))).isTrue();
    }

    @Test
    void noSessionStartsWhileTheCompletionsAreRefusedAndOneStartsOnceTheyAreTaken() {
        writes.holdUntilCompletionsCanBeWritten("email.jobs.completed"); // nothing refused: at once
        refuse("email.jobs.completed", new RecordTooLargeException("too large"));
        long start = System.nanoTime();
        assertThatThrownBy(() -> writes.holdUntilCompletionsCanBeWritten("email.jobs.completed"))
                .isInstanceOf(KafkaWrites.Refusing.class).hasMessageContaining("email.jobs.completed");
        assertThat((System.nanoTime() - start) / 1_000_000).as("waited write-retry-for first").isGreaterThanOrEqualTo(290);
        writes.ok("email.jobs.completed", "job-1");
        writes.holdUntilCompletionsCanBeWritten("email.jobs.completed");
        // another topic refusing holds no session back: no message can be sent twice for it
        refuse("email.results", new RecordTooLargeException("too large"));
        writes.holdUntilCompletionsCanBeWritten("email.jobs.completed");
    }

    @Test
    void oneRecordTooLargeForItsOwnSizeHoldsOnlyItsJobNotTheTopic() {
        refuse("email.jobs.completed", new OneRecordTooLarge("email.jobs.completed", "big-job", 40_000, 900,
                new RecordTooLargeException("The message is 40000 bytes")));
        assertThat(writes.refusing().get("email.jobs.completed").record()).isEqualTo("big-job");
        assertThat(writes.refusing().get("email.jobs.completed").reason()).startsWith("RecordTooLargeException");
        assertThat(registry.counter("submission.kafka.write.failures", "topic", "email.jobs.completed", "kind",
                "permanent").count()).isEqualTo(1);
        long start = System.nanoTime();
        writes.holdUntilCompletionsCanBeWritten("email.jobs.completed");
        assertThat((System.nanoTime() - start) / 1_000_000).as("no session held for one record").isLessThan(290);
        writes.ok("email.jobs.completed", "another-job");
        assertThat(writes.refusing()).as("another job's record taken: this one still waits")
                .containsKey("email.jobs.completed");
        // the topic refusing a record of a size it takes: now the topic refuses, and sessions wait
        refuse("email.jobs.completed", new RecordTooLargeException("The message is 800 bytes"));
        assertThat(writes.refusing().get("email.jobs.completed").record()).isNull();
        assertThatThrownBy(() -> writes.holdUntilCompletionsCanBeWritten("email.jobs.completed"))
                .isInstanceOf(KafkaWrites.Refusing.class);
        writes.ok("email.jobs.completed", "another-job");
        assertThat(writes.refusing()).isEmpty();
        refuse("email.jobs.completed", new OneRecordTooLarge("email.jobs.completed", "big-job", 40_000, 900,
                new RecordTooLargeException("The message is 40000 bytes")));
        writes.ok("email.jobs.completed", "big-job");
        assertThat(writes.refusing()).as("its own record taken: over").isEmpty();
    }
}
