package io.submissionrouter.intake;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.pass.Pass;
import io.submissionrouter.job.JobProperties;
import io.submissionrouter.pass.RecordRef;
import io.submissionrouter.pass.SourceRecord;
import io.submissionrouter.pass.UnsettledPasses;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Passes of a partition that leaves this consumer and comes back (review of issue 24). */
class RebalancedPassesTest {
    private static final String TOPIC = "email.jobs";
    private static final TopicPartition P0 = new TopicPartition(TOPIC, 0);
    private final DefaultCamelContext camel = new DefaultCamelContext();
    private final MockConsumer<byte[], byte[]> consumer = new MockConsumer<>(OffsetResetStrategy.EARLIEST);
    private final List<Long> ran = new CopyOnWriteArrayList<>();
    private final UnsettledPasses unsettled = new UnsettledPasses();
    private final Set<Long> failing = ConcurrentHashMap.newKeySet();

    private InFlightJobs jobs() throws Exception {
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from(InFlightJobs.ROUTE).process(exchange -> {
                    SourceRecord s = exchange.getProperty(JobProperties.SOURCE, SourceRecord.class);
                    RecordRef r = exchange.getProperty(JobProperties.RECORD, RecordRef.class);
                    ran.add(s.offset());
                    if (unsettled.find(r) == null) {
                        unsettled.hold(r, Pass.ended(s, Instant.now(), "job-" + s.offset(), "default", Map.of(),
                                io.submissionrouter.results.Status.SENT));
                    }
                    if (failing.contains(s.offset())) {
                        throw new org.apache.kafka.common.KafkaException("refused");
                    }
                });
            }
        });
        camel.start();
        SubmissionConfig config = new SmallRyeConfigBuilder().withMapping(SubmissionConfig.class)
                .withConverter(Duration.class, 200, new DurationConverter())
                .withSources(new PropertiesConfigSource(Map.of("submission.smtp.primary.host", "a",
                        "submission.concurrency.in-flight", "4",
                        "submission.consumer.job-timeout", "5s", "submission.kafka.write-retry-for", "1s"), "test", 100))
                .build().getConfigMapping(SubmissionConfig.class);
        consumer.assign(List.of(P0));
        return new InFlightJobs(camel, config, new SimpleMeterRegistry(), unsettled);
    }

    @AfterEach
    void stop() {
        camel.stop();
    }

    private Exchange exchange(long offset, String key) {
        Exchange exchange = new DefaultExchange(camel);
        exchange.getIn().setHeader(KafkaConstants.TOPIC, TOPIC);
        exchange.getIn().setHeader(KafkaConstants.PARTITION, 0);
        exchange.getIn().setHeader(KafkaConstants.OFFSET, offset);
        exchange.getIn().setHeader(KafkaConstants.KEY, key.getBytes(StandardCharsets.UTF_8));
        exchange.getIn().setBody("{}".getBytes(StandardCharsets.UTF_8));
        exchange.getIn().setHeader(KafkaConstants.MANUAL_COMMIT, new InFlightCommits.PolledBy(consumer));
        return exchange;
    }

    /**
     * Job 0 fails its writes (stays in flight), job 1 finishes; the partition leaves and comes back to the same
     * consumer. Its commit names 1 as done, so 1 is skipped when read again; 0 runs and the partition is committed
     * past both. Every pass before the commit is over and should be settled.
     */
    @Test
    void passesBeforeTheCommitAreSettledAfterThePartitionCameBack() throws Exception {
        InFlightJobs jobs = jobs();
        jobs.assigned(consumer, InFlightJobs.INTAKE, List.of(P0), () -> true);
        failing.add(0L);
        jobs.dispatch(exchange(0, "a"));
        jobs.dispatch(exchange(1, "b"));
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> ran.contains(0L) && ran.contains(1L));
        Thread.sleep(100);
        jobs.revoked(consumer, Set.of(P0));
        OffsetAndMetadata c = consumer.committed(Set.of(P0)).get(P0);
        assertThat(c.offset()).isZero();
        assertThat(c.metadata()).isEqualTo("done:1");
        failing.clear();
        jobs.assigned(consumer, InFlightJobs.INTAKE, List.of(P0), () -> true);
        jobs.dispatch(exchange(0, "a"));
        jobs.dispatch(exchange(1, "b"));
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> jobs.size() == 0);
        Map<TopicPartition, OffsetAndMetadata> offsets = jobs.committable(consumer, List.of(P0), true);
        assertThat(offsets.get(P0).offset()).isEqualTo(2);
        consumer.commitSync(offsets);
        jobs.committed(consumer, offsets);
        assertThat(unsettled.find(new RecordRef(TOPIC, 0, 0))).as("pass of 0 settled").isNull();
        assertThat(unsettled.find(new RecordRef(TOPIC, 0, 1))).as("pass of 1, committed past, settled").isNull();
    }
}
