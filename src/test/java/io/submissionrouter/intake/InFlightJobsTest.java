package io.submissionrouter.intake;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.job.JobProperties;
import io.submissionrouter.pass.RecordRef;
import io.submissionrouter.pass.SourceRecord;
import io.submissionrouter.pass.UnsettledPasses;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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

/**
 * The jobs in flight (CONTRACT 8.3) with a real Camel context running {@code direct:job} on the jobs pool, and Kafka's
 * MockConsumer standing in for the consumer's committed offsets: same-key jobs one at a time, commits up to the first
 * unfinished job, and jobs handed back by a rebalance run once their records are read again.
 */
class InFlightJobsTest {

    private static final String TOPIC = "email.jobs";
    private static final TopicPartition P0 = new TopicPartition(TOPIC, 0);

    private final DefaultCamelContext camel = new DefaultCamelContext();
    private final MockConsumer<byte[], byte[]> consumer = new MockConsumer<>(OffsetResetStrategy.EARLIEST);
    /** Offsets the route ran, in order. */
    private final List<Long> ran = new CopyOnWriteArrayList<>();
    /** A job whose offset has a latch here waits for it before it finishes. */
    private final Map<Long, CountDownLatch> holds = new ConcurrentHashMap<>();
    private final AtomicInteger runningNow = new AtomicInteger();
    private final AtomicInteger mostAtOnce = new AtomicInteger();
    private final UnsettledPasses unsettled = new UnsettledPasses();
    /** Offsets whose pass fails (as when Kafka refuses a write for write-retry-for). */
    private final Set<Long> failing = ConcurrentHashMap.newKeySet();

    private InFlightJobs jobs(int inFlight) throws Exception {
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from(InFlightJobs.ROUTE).process(exchange -> {
                    long offset = exchange.getProperty(JobProperties.SOURCE, SourceRecord.class).offset();
                    mostAtOnce.accumulateAndGet(runningNow.incrementAndGet(), Math::max);
                    try {
                        CountDownLatch hold = holds.get(offset);
                        if (hold != null) {
                            hold.await(10, TimeUnit.SECONDS);
                        }
                        ran.add(offset);
                        if (failing.contains(offset)) {
                            throw new org.apache.kafka.common.KafkaException("refused");
                        }
                    } finally {
                        runningNow.decrementAndGet();
                    }
                });
            }
        });
        camel.start();
        SubmissionConfig config = new SmallRyeConfigBuilder().withMapping(SubmissionConfig.class)
                .withConverter(Duration.class, 200, new DurationConverter())
                .withSources(new PropertiesConfigSource(Map.of("submission.smtp.primary.host", "a",
                        "submission.concurrency.in-flight", String.valueOf(inFlight),
                        "submission.consumer.job-timeout", "5s", "submission.kafka.write-retry-for", "1s"), "test", 100))
                .build().getConfigMapping(SubmissionConfig.class);
        consumer.assign(List.of(P0));
        return new InFlightJobs(camel, config, new SimpleMeterRegistry(), unsettled);
    }

    @AfterEach
    void stop() {
        holds.values().forEach(CountDownLatch::countDown);
        camel.stop();
    }

    private void dispatch(InFlightJobs jobs, long offset, String key) {
        jobs.dispatch(exchange(offset, key));
    }

    /** An exchange as the intake route makes of the record at {@code offset}, polled by {@link #consumer}. */
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

    private CountDownLatch hold(long offset) {
        CountDownLatch latch = new CountDownLatch(1);
        holds.put(offset, latch);
        return latch;
    }

    @Test
    void jobsWithTheSameKeyRunOneAtATimeAndInTheirOrder() throws Exception {
        InFlightJobs jobs = jobs(8);
        jobs.assigned(consumer, InFlightJobs.INTAKE, List.of(P0), () -> true);
        CountDownLatch first = hold(0);
        dispatch(jobs, 0, "same");
        dispatch(jobs, 1, "same");
        dispatch(jobs, 2, "same");
        dispatch(jobs, 3, "other");
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> ran.contains(3L));
        assertThat(ran).as("the other key's job is not held up by the busy one").containsExactly(3L);
        first.countDown();
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> ran.size() == 4);
        assertThat(ran).containsExactly(3L, 0L, 1L, 2L);
        assertThat(jobs.size()).isZero();
    }

    @Test
    void aPartitionIsCommittedOnlyUpToItsFirstUnfinishedJob() throws Exception {
        InFlightJobs jobs = jobs(8);
        jobs.assigned(consumer, InFlightJobs.INTAKE, List.of(P0), () -> true);
        CountDownLatch slow = hold(1);
        for (long offset = 0; offset < 4; offset++) {
            dispatch(jobs, offset, "key-" + offset);
        }
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> ran.size() == 3);
        Map<TopicPartition, OffsetAndMetadata> offsets = jobs.committable(consumer, List.of(P0), true);
        assertThat(offsets.get(P0).offset()).as("offset 1 runs: nothing after it is committed yet").isEqualTo(1);
        jobs.committed(consumer, offsets);
        assertThat(jobs.mustWait(consumer, List.of(P0))).isEmpty();

        slow.countDown();
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> ran.size() == 4);
        assertThat(jobs.committable(consumer, List.of(P0), true).get(P0).offset()).isEqualTo(4);
    }

    @Test
    void theConsumersPauseWhileThePodsJobsInFlightAreAtTheirBound() throws Exception {
        InFlightJobs jobs = jobs(2);
        jobs.assigned(consumer, InFlightJobs.INTAKE, List.of(P0), () -> true);
        CountDownLatch a = hold(0);
        CountDownLatch b = hold(1);
        dispatch(jobs, 0, "a");
        dispatch(jobs, 1, "b");
        assertThat(jobs.full()).as("2 running, room for 2 more to queue").isFalse();
        dispatch(jobs, 2, "c");
        dispatch(jobs, 3, "d");
        assertThat(jobs.full()).isTrue();
        assertThat(jobs.mustWait(consumer, List.of(P0))).containsExactly(P0);
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> runningNow.get() == 2);
        a.countDown();
        b.countDown();
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> jobs.size() == 0);
        assertThat(jobs.mustWait(consumer, List.of(P0))).isEmpty();
        assertThat(mostAtOnce.get()).as("never more running than in-flight").isEqualTo(2);
    }

    /**
     * A rebalance takes the partition while one job runs and another waits for the pool: the running one is waited for
     * and committed, the waiting one handed back. When the partition comes back (to the same consumer, as the eager
     * protocol usually does), its record is read again and runs: it was neither run nor counted as finished before.
     */
    @Test
    void aJobHandedBackByARebalanceRunsWhenItsRecordIsReadAgain() throws Exception {
        InFlightJobs jobs = jobs(1);
        jobs.assigned(consumer, InFlightJobs.INTAKE, List.of(P0), () -> true);
        CountDownLatch running = hold(0);
        dispatch(jobs, 0, "a");
        dispatch(jobs, 1, "b"); // waits for the pool's one thread
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> runningNow.get() == 1);

        Thread rebalance = new Thread(() -> jobs.revoked(consumer, Set.of(P0)));
        rebalance.start();
        Thread.sleep(200);
        assertThat(rebalance.isAlive()).as("the running job is waited for").isTrue();
        running.countDown();
        rebalance.join(5000);
        assertThat(consumer.committed(Set.of(P0)).get(P0).offset()).as("committed up to the handed-back job")
                .isEqualTo(1);

        jobs.assigned(consumer, InFlightJobs.INTAKE, List.of(P0), () -> true);
        Thread.sleep(200); // the handed-back job has had its turn on the pool by now, and must not have run
        assertThat(ran).containsExactly(0L);
        dispatch(jobs, 1, "b"); // read again from the committed offset
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> ran.size() == 2);
        assertThat(ran).containsExactly(0L, 1L);
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> jobs.size() == 0);
        assertThat(jobs.committable(consumer, List.of(P0), true).get(P0).offset()).isEqualTo(2);
    }

    /** A job running when its partition leaves, whose pass then fails, is not run again here: its new owner runs it. */
    @Test
    void aJobFailingAfterItsPartitionLeftIsNotRunAgainHere() throws Exception {
        InFlightJobs jobs = jobs(4);
        jobs.assigned(consumer, InFlightJobs.INTAKE, List.of(P0), () -> true);
        CountDownLatch running = hold(0);
        failing.add(0L);
        dispatch(jobs, 0, "a");
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> runningNow.get() == 1);
        Thread rebalance = new Thread(() -> jobs.revoked(consumer, Set.of(P0)));
        rebalance.start();
        Thread.sleep(100);
        running.countDown();
        rebalance.join(5000);
        assertThat(consumer.committed(Set.of(P0)).get(P0).offset()).as("nothing past the job that failed").isZero();
        Thread.sleep(1500); // a job that failed here would run again after 1 s
        assertThat(ran).containsExactly(0L);
        assertThat(jobs.size()).isZero();
    }

    /**
     * Two consumers of the pod: the partition went from the first to the second, and the first learns late that it lost
     * it. The second's jobs and progress stay as they are.
     */
    @Test
    void aConsumerThatLearnsLateItLostAPartitionLeavesItsNewOwnerAlone() throws Exception {
        InFlightJobs jobs = jobs(1);
        MockConsumer<byte[], byte[]> before = new MockConsumer<>(OffsetResetStrategy.EARLIEST);
        before.assign(List.of(P0));
        jobs.assigned(before, InFlightJobs.INTAKE, List.of(P0), () -> true);
        jobs.assigned(consumer, InFlightJobs.INTAKE, List.of(P0), () -> true); // the pod's other consumer has it now
        CountDownLatch running = hold(10);
        dispatch(jobs, 10, "a");
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> runningNow.get() == 1);
        dispatch(jobs, 11, "b"); // waits for the pool
        dispatch(jobs, 12, "c");
        jobs.lost(before, List.of(P0));
        dispatch(jobs, 13, "d");
        assertThat(jobs.committable(consumer, List.of(P0), true).get(P0).offset()).as("held by the job running (10)")
                .isEqualTo(10);
        running.countDown();
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> ran.size() == 4);
        assertThat(ran).containsExactly(10L, 11L, 12L, 13L);
        assertThat(jobs.committable(consumer, List.of(P0), true).get(P0).offset()).isEqualTo(14);
    }

    /** A job queued for the pool when its partition leaves is not counted as finished by the commit that follows. */
    @Test
    void aJobQueuedWhenItsPartitionLeavesIsNotCommittedPast() throws Exception {
        InFlightJobs jobs = jobs(2);
        jobs.assigned(consumer, InFlightJobs.INTAKE, List.of(P0), () -> true);
        CountDownLatch first = hold(0);
        CountDownLatch second = hold(1);
        dispatch(jobs, 0, "a");
        dispatch(jobs, 1, "b");
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> runningNow.get() == 2);
        dispatch(jobs, 2, "c"); // queued for the pool
        Thread rebalance = new Thread(() -> jobs.revoked(consumer, Set.of(P0)));
        rebalance.start();
        Thread.sleep(100);
        second.countDown(); // job 2 gets a thread while job 0 still runs, and must not start
        Thread.sleep(200);
        first.countDown();
        rebalance.join(5000);
        assertThat(consumer.committed(Set.of(P0)).get(P0).offset()).isEqualTo(2);
        assertThat(consumer.committed(Set.of(P0)).get(P0).metadata()).isEqualTo(PartitionProgress.PREFIX);
        assertThat(ran).containsExactly(1L, 0L);
    }

    /** Camel pauses the consumer for its own reasons (a route suspended): the commits after each poll leave it paused. */
    @Test
    void aPauseThatIsCamelsIsNotUndoneAfterAPoll() throws Exception {
        InFlightJobs jobs = jobs(8);
        jobs.assigned(consumer, InFlightJobs.INTAKE, List.of(P0), () -> true);
        InFlightCommits commits = new InFlightCommits(jobs, camel);
        consumer.pause(consumer.assignment());
        commits.afterConsume(consumer);
        assertThat(consumer.paused()).containsExactly(P0);
    }

    /** The commits pause partitions while the pod is full, and resume them (and only them) when there is room. */
    @Test
    void theCommitsAfterEachPollPauseWhileFullAndResumeWithRoom() throws Exception {
        InFlightJobs jobs = jobs(1);
        jobs.assigned(consumer, InFlightJobs.INTAKE, List.of(P0), () -> true);
        InFlightCommits commits = new InFlightCommits(jobs, camel);
        CountDownLatch running = hold(0);
        dispatch(jobs, 0, "a");
        dispatch(jobs, 1, "b"); // queued behind it
        commits.afterConsume(consumer);
        assertThat(consumer.paused()).containsExactly(P0);
        running.countDown();
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> jobs.size() == 0);
        commits.afterConsume(consumer);
        assertThat(consumer.paused()).isEmpty();
        // the polls that follow commit the finished job, at most every COMMIT_EVERY
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> {
            commits.afterConsume(consumer);
            return consumer.committed(Set.of(P0)).get(P0).offset() == 2;
        });
    }

    /** A job waiting to run again after a failure when its partition leaves frees its key and its place at once. */
    @Test
    void aJobWaitingToRunAgainWhenItsPartitionLeavesFreesItsKeyAtOnce() throws Exception {
        InFlightJobs jobs = jobs(4);
        jobs.assigned(consumer, InFlightJobs.INTAKE, List.of(P0), () -> true);
        failing.add(0L);
        dispatch(jobs, 0, "a");
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> ran.size() == 1 && runningNow.get() == 0);
        assertThat(jobs.size()).as("waiting to run again").isEqualTo(1);
        jobs.revoked(consumer, Set.of(P0));
        assertThat(jobs.size()).isZero();

        failing.clear();
        jobs.assigned(consumer, InFlightJobs.INTAKE, List.of(P0), () -> true);
        dispatch(jobs, 0, "a"); // read again, same key: not held behind the job handed back
        Awaitility.await().atMost(Duration.ofMillis(900)).until(() -> ran.size() == 2);
        Thread.sleep(1200); // the cancelled retry never runs
        assertThat(ran).containsExactly(0L, 0L);
    }

    /**
     * A record that must not run yet (a retry not due) holds its partition: after the next poll its consumer pauses it
     * with its position back on that record, and resumes it once the hold is over; the others' partitions flow.
     */
    @Test
    void aHeldPartitionIsPausedOnItsRecordAndResumedWhenTheHoldIsOver() throws Exception {
        InFlightJobs jobs = jobs(4);
        String source = InFlightJobs.retries("bulk");
        jobs.assigned(consumer, source, List.of(P0), () -> true);
        InFlightCommits commits = new InFlightCommits(jobs, camel);
        consumer.seek(P0, 9);
        java.util.concurrent.atomic.AtomicBoolean due = new java.util.concurrent.atomic.AtomicBoolean();
        PartitionProgress progress = jobs.progress(exchange(5, "a"), source);
        progress.hold(5, due::get);
        commits.afterConsume(consumer);
        assertThat(consumer.paused()).containsExactly(P0);
        assertThat(consumer.position(P0)).as("read again from the held record").isEqualTo(5);
        commits.afterConsume(consumer);
        assertThat(consumer.paused()).as("not due yet").containsExactly(P0);
        due.set(true);
        commits.afterConsume(consumer);
        assertThat(consumer.paused()).isEmpty();
        jobs.start(source, progress, new RecordRef(TOPIC, 0, 5), null, new byte[0], InFlightJobs.ROUTE,
                Map.of(JobProperties.SOURCE, new SourceRecord(TOPIC, 0, 5, java.time.Instant.now(), null, null, null)));
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> ran.contains(5L));
    }

    /** A relay group's retries have a budget of jobs in flight of their own: at it, only their consumer waits. */
    @Test
    void aGroupsRetriesWaitAtTheirBudgetWhileTheIntakeGoesOn() throws Exception {
        InFlightJobs jobs = jobs(4); // one relay group: its retries may have 4 / (2 x 1) = 2 jobs in flight
        MockConsumer<byte[], byte[]> retries = new MockConsumer<>(OffsetResetStrategy.EARLIEST);
        TopicPartition tier = new TopicPartition("email.jobs.retry-30s", 0);
        retries.assign(List.of(tier));
        String source = InFlightJobs.retries("default");
        jobs.assigned(retries, source, List.of(tier), () -> true);
        jobs.assigned(consumer, InFlightJobs.INTAKE, List.of(P0), () -> true);
        CountDownLatch running = hold(0);
        hold(1);
        Exchange first = exchange(0, "r0");
        first.getIn().setHeader(KafkaConstants.TOPIC, tier.topic());
        first.getIn().setHeader(KafkaConstants.MANUAL_COMMIT, new InFlightCommits.PolledBy(retries));
        PartitionProgress progress = jobs.progress(first, source);
        for (long o = 0; o < 2; o++) {
            RecordRef record = new RecordRef(tier.topic(), 0, o);
            jobs.start(source, progress, record, ("r" + o).getBytes(StandardCharsets.UTF_8), new byte[0],
                    InFlightJobs.ROUTE, Map.of(JobProperties.SOURCE,
                            new SourceRecord(tier.topic(), 0, o, java.time.Instant.now(), null, null, null)));
        }
        assertThat(jobs.mustWait(retries, List.of(tier))).containsExactly(tier);
        assertThat(jobs.mustWait(consumer, List.of(P0))).isEmpty();
        assertThat(jobs.full()).isFalse();
        running.countDown();
        holds.values().forEach(CountDownLatch::countDown);
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> jobs.size() == 0);
        assertThat(jobs.mustWait(retries, List.of(tier))).isEmpty();
    }

    /**
     * Partitions given while the idempotency topic is not read to its end yet are held where they start: nothing is
     * taken, the consumer pauses them with its position back on their start, and they go on once the completed jobIds
     * are known. A slow read no longer fails the poll (which made the consumer leave its group and join again, a
     * rebalance of every replica each time; review of issue 24).
     */
    @Test
    void partitionsGivenBeforeTheCompletedJobIdsAreKnownAreHeldUntilThen() throws Exception {
        InFlightJobs jobs = jobs(8);
        java.util.concurrent.atomic.AtomicBoolean known = new java.util.concurrent.atomic.AtomicBoolean();
        jobs.assigned(consumer, InFlightJobs.INTAKE, List.of(P0), known::get);
        dispatch(jobs, 0, "a");
        Map<TopicPartition, Long> seeks = new java.util.HashMap<>();
        assertThat(jobs.holds(consumer, List.of(P0), seeks::put)).as("held").containsExactly(P0);
        assertThat(seeks).as("its position back on its start").containsEntry(P0, 0L);
        Thread.sleep(200);
        assertThat(ran).as("nothing taken before the completed jobIds are known").isEmpty();
        assertThat(jobs.holds(consumer, List.of(P0), seeks::put)).as("still held").containsExactly(P0);
        known.set(true);
        assertThat(jobs.holds(consumer, List.of(P0), seeks::put)).as("released").isEmpty();
        dispatch(jobs, 0, "a");
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> ran.contains(0L));
    }
}
