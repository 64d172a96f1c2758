package io.submissionrouter.idempotency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.submissionrouter.nativeimage.BlindMapper;
import io.submissionrouter.pass.CompletedJob;
import io.submissionrouter.pass.Completion;
import io.submissionrouter.results.Status;
import io.submissionrouter.testing.EmbeddedKafka;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The completed-jobs store against a real broker: it survives restarts, honours the window, follows tombstones. */
class CompletedJobsTest {

    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
    private static final Instant NOW = Instant.parse("2026-11-27T12:00:00Z");
    private static EmbeddedKafka kafka;
    /** Whose thread pools the tails run on, as in the router. */
    private static CamelContext camel;
    private static final List<CompletedJobs> STORES = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafka.start();
        camel = new DefaultCamelContext();
        camel.start();
    }

    @AfterAll
    static void stop() {
        STORES.forEach(CompletedJobs::stop);
        camel.stop();
        kafka.close();
    }

    private static Properties client() {
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        return p;
    }

    private static CompletedJobs store(String topic) throws InterruptedException {
        CompletedJobs store = created(topic);
        store.start(client(), 3, Duration.ofSeconds(30));
        return store;
    }

    private static CompletedJobs created(String topic) {
        CompletedJobs store = new CompletedJobs(JSON, camel, topic, Duration.ofDays(7),
                Clock.fixed(NOW, ZoneOffset.UTC), Duration.ofMinutes(1));
        STORES.add(store);
        return store;
    }

    private static List<Thread> tailThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().endsWith(" - CompletedJobsTail"))
                .toList();
    }

    /** A completion of an older version, or one written by hand: status, Message-ID and time only. */
    private static Completion oldCompletion(Status status, String messageId, Instant completedAt) {
        return new Completion(status, messageId, completedAt, null, null, null, null, null);
    }

    private static void write(String topic, String jobId, Completion c) throws Exception {
        write(topic, jobId, c, null);
    }

    private static void write(String topic, String jobId, Completion c, byte[] origin) throws Exception {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(client(), new StringSerializer(),
                new ByteArraySerializer())) {
            // one partition: a record read means every record written before it was read too
            ProducerRecord<String, byte[]> r = new ProducerRecord<>(topic, 0, jobId, c == null ? null : JSON.writeValueAsBytes(c));
            if (origin != null) {
                r.headers().add(CompletedJobs.ORIGIN_HEADER, origin);
            }
            producer.send(r).get();
        }
    }

    @Test
    void aReplicaSkipsOnlyTheOwnRecordsItKnowsAndReadsTheOthersItWrote() throws Exception {
        String topic = "completed-origin";
        CompletedJobs store = store(topic);
        // remembered before it was written (as the routes do): read back, it is skipped, not parsed again
        store.remember("known", oldCompletion(Status.SENT, "<remembered@x>", NOW));
        write(topic, "known", oldCompletion(Status.SENT, "<as-written@x>", NOW), store.origin());
        // written by this run but never remembered (a write whose acknowledgement was lost): read like any other
        write(topic, "unknown", oldCompletion(Status.SENT, "<unknown@x>", NOW), store.origin());
        write(topic, "other", oldCompletion(Status.SENT, "<other@x>", NOW), "another-replica".getBytes());
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> store.find("other").isPresent());
        assertThat(store.find("unknown")).as("an own record the replica did not know is read")
                .hasValueSatisfying(c -> assertThat(c.location()).isNotNull());
        assertThat(store.find("known")).as("an own record the replica knew is not parsed again, only located")
                .hasValueSatisfying(c -> {
                    assertThat(c.messageId()).isEqualTo("<remembered@x>");
                    assertThat(c.location()).isNotNull();
                });

        CompletedJobs restarted = store(topic);
        assertThat(restarted.find("known")).hasValueSatisfying(c -> assertThat(c.messageId()).isEqualTo("<as-written@x>"));
    }

    /**
     * Records the tail cannot read (no completedAt, a time that is not one, no status, not JSON) are skipped with a
     * warning and counted, whether their jobId is known or not; the records after them are read, and nothing that
     * runs later on the tail (the sweep of old entries) or on the intake (find) trips over them.
     */
    @Test
    void skipsRecordsItCannotReadCountsThemAndReadsThoseAfterThem() throws Exception {
        String topic = "completed-unreadable";
        CompletedJobs store = store(topic);
        write(topic, "known", oldCompletion(Status.SENT, "<k@x>", NOW));
        writeRaw(topic, "known", "{\"status\":\"SENT\",\"messageId\":\"<k2@x>\"}");
        writeRaw(topic, "no-time", "{\"status\":\"SENT\",\"messageId\":\"<n@x>\"}");
        writeRaw(topic, "bad-time", "{\"status\":\"SENT\",\"completedAt\":\"yesterday\"}");
        writeRaw(topic, "no-status", "{\"completedAt\":\"" + NOW + "\"}");
        writeRaw(topic, "garbage", "not json");
        write(topic, "after", oldCompletion(Status.SENT, "<a@x>", NOW));
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> store.find("after").isPresent());

        assertThat(store.find("known")).hasValueSatisfying(c -> assertThat(c.messageId()).isEqualTo("<k@x>"));
        assertThat(store.find("no-time")).isEmpty();
        assertThat(store.find("no-status")).isEmpty();
        store.sweep();
        assertThat(store.find("after")).isPresent();
        assertThat(store.unreadableRecords()).isEqualTo(5);
    }

    /**
     * Completions the router cannot bind (in a native image, Completion left out of the registrations) are never
     * skipped as unreadable: that would forget completed jobs and send them again. The replica does not catch up
     * (its intake does not start) and the records are read again, once the router can.
     */
    @Test
    void completionsTheRouterCannotBindAreNeverSkipped() throws Exception {
        String topic = "completed-blind";
        CompletedJobs blind = new CompletedJobs(BlindMapper.blindTo(Completion.class), camel, topic,
                Duration.ofDays(7), Clock.fixed(NOW, ZoneOffset.UTC), Duration.ofMinutes(1));
        STORES.add(blind);
        blind.createTopic(client(), 3, 1 << 20);
        write(topic, "first", oldCompletion(Status.SENT, "<f@x>", NOW));
        write(topic, "second", oldCompletion(Status.SENT, "<s@x>", NOW));
        assertThatThrownBy(() -> blind.start(client(), 3, Duration.ofSeconds(4)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("could not read");
        assertThat(blind.unreadableRecords()).isZero();
        assertThat(blind.find("first")).isEmpty();
        blind.stop();

        CompletedJobs seeing = store(topic);
        assertThat(seeing.find("first")).isPresent();
        assertThat(seeing.find("second")).isPresent();
    }

    /**
     * A failure anywhere in the tail's loop (here the sweep of old entries, which runs on the tail every sweep
     * interval) is logged and the tail goes on after a pause: it never ends while the replica runs.
     */
    @Test
    void theTailGoesOnAfterAFailureInItsLoop() throws Exception {
        String topic = "completed-loop-failure";
        // the first two sweeps fail
        java.util.concurrent.atomic.AtomicInteger sweeps = new java.util.concurrent.atomic.AtomicInteger();
        Clock failingOnTheTail = new Clock() {
            @Override
            public Instant instant() {
                if (Thread.currentThread().getName().endsWith("CompletedJobsTail") && sweeps.getAndIncrement() < 2) {
                    throw new IllegalStateException("a failure in the tail's loop");
                }
                return NOW;
            }

            @Override
            public java.time.ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }
        };
        CompletedJobs store = new CompletedJobs(JSON, camel, topic, Duration.ofDays(7), failingOnTheTail,
                Duration.ofMillis(100));
        STORES.add(store);
        store.start(client(), 1, Duration.ofSeconds(30));
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> sweeps.get() >= 2);
        write(topic, "after-failures", oldCompletion(Status.SENT, "<f@x>", NOW));
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> store.find("after-failures").isPresent());
        assertThat(sweeps.get()).as("the sweep ran again after the failures").isGreaterThan(2);
    }

    private static void writeRaw(String topic, String jobId, String value) throws Exception {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(client(), new StringSerializer(),
                new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, 0, jobId, value.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                    .get();
        }
    }

    @Test
    void aReplicaGivenPartitionsFirstReadsTheTopicToItsEnd() throws Exception {
        String topic = "completed-catch-up";
        CompletedJobs store = store(topic);
        for (int i = 0; i < 200; i++) {
            write(topic, "moved-" + i, oldCompletion(Status.SENT, "<m" + i + "@x>", NOW));
        }
        // what a replica asks in its rebalance callback before it works on the partitions it was given
        java.util.function.BooleanSupplier read = store.readToEnd(Duration.ofSeconds(10));
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(read::getAsBoolean);
        assertThat(store.find("moved-199")).as("every completion written before the call is known after it")
                .isPresent();
        // a tail that stops (shutdown, a start that failed) follows no completion any more: partitions held until
        // the topic is read stay held (review of issue 24)
        store.stop();
        assertThat(read.getAsBoolean()).as("not read to its end while the tail stops").isFalse();
    }

    @Test
    void theWholeCompletionRecordCanBeReadBackFromWhereTheTailFoundIt() throws Exception {
        String topic = "completed-fetch";
        CompletedJobs store = store(topic);
        io.submissionrouter.pass.RecordRef source = new io.submissionrouter.pass.RecordRef("email.jobs", 3, 77);
        write(topic, "ended", new Completion(Status.REJECTED, "<e@x>", NOW, source, true, null, null));
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> store.find("ended").isPresent());
        CompletedJob job = store.find("ended").orElseThrow();
        assertThat(job.sameJobRecord(source)).isTrue();
        assertThat(job.sameJobRecord(new io.submissionrouter.pass.RecordRef("email.jobs", 3, 78))).isFalse();
        assertThat(store.fetch(job)).hasValueSatisfying(c -> {
            assertThat(c.status()).isEqualTo(Status.REJECTED);
            assertThat(c.source()).isEqualTo(source);
            assertThat(c.ended()).isTrue();
        });
    }

    @Test
    void aNewInstanceKnowsWhatWasCompletedBeforeItStarted() throws Exception {
        String topic = "completed-restart";
        CompletedJobs first = store(topic);
        write(topic, "job-a", oldCompletion(Status.SENT, "<a@x>", NOW.minusSeconds(60)));
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> first.find("job-a").isPresent());

        CompletedJobs restarted = store(topic); // reads the topic to its end before it returns
        assertThat(restarted.find("job-a")).hasValueSatisfying(c -> {
            assertThat(c.status()).isEqualTo(Status.SENT);
            assertThat(c.messageId()).isEqualTo("<a@x>");
        });
        assertThat(restarted.find("job-unknown")).isEmpty();
    }

    @Test
    void forgetsCompletionsOlderThanTheWindow() throws Exception {
        String topic = "completed-window";
        write(topic, "old", oldCompletion(Status.SENT, "<o@x>", NOW.minus(Duration.ofDays(8))));
        write(topic, "recent", oldCompletion(Status.REJECTED, "<r@x>", NOW.minus(Duration.ofDays(6))));
        CompletedJobs store = store(topic);
        assertThat(store.find("old")).isEmpty();
        assertThat(store.find("recent")).isPresent();
        store.sweep();
        assertThat(store.find("recent")).isPresent();
    }

    @Test
    void followsTombstones() throws Exception {
        String topic = "completed-tombstone";
        CompletedJobs store = store(topic);
        write(topic, "gone", oldCompletion(Status.SENT, "<g@x>", NOW));
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> store.find("gone").isPresent());
        write(topic, "gone", null);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> store.find("gone").isEmpty());
    }

    @Test
    void createsTheTopicCompactedWithTheWindowAsRetention() throws Exception {
        String topic = "completed-config";
        store(topic);
        try (Admin admin = Admin.create(client())) {
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            var config = admin.describeConfigs(java.util.List.of(resource)).all().get().get(resource);
            assertThat(config.get("cleanup.policy").value()).isEqualTo("compact,delete");
            assertThat(config.get("retention.ms").value()).isEqualTo(String.valueOf(Duration.ofDays(7).toMillis()));
            assertThat(admin.describeTopics(java.util.List.of(topic)).allTopicNames().get().get(topic).partitions())
                    .hasSize(3);
        }
    }

    @Test
    void tailsOnAThreadOfCamelsAndTailsAgainWhenStartedAfterAStop() throws Exception {
        String topic = "completed-stop-start";
        CompletedJobs store = store(topic);
        assertThat(tailThreads()).as("Camel's CompletedJobsTail threads, daemons").isNotEmpty().allMatch(Thread::isDaemon);
        // what the IntakeStarter does when an attempt failed, before the next one
        store.stop();
        write(topic, "after-stop", oldCompletion(Status.SENT, "<s@x>", NOW));
        store.start(client(), 3, Duration.ofSeconds(30));
        // the second start waited for its own tail to read the topic to its end, as the first did
        assertThat(store.find("after-stop")).isPresent();
    }

    @Test
    void aStopEndsTheWaitForTheTailAtOnce() throws Exception {
        String topic = "completed-stop-waiting";
        store(topic);
        write(topic, "held", oldCompletion(Status.SENT, "<h@x>", NOW));
        CompletedJobs slow = created(topic);
        Properties held = client();
        // the broker holds every fetch of this tail for 6 s: it cannot get to the end before that
        held.put("fetch.min.bytes", String.valueOf(64 * 1024 * 1024));
        held.put("fetch.max.wait.ms", "6000");
        CompletableFuture<Void> starting = CompletableFuture.runAsync(() -> {
            try {
                slow.start(held, 3, Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(1500);
        assertThat(starting).as("still waiting for the tail").isNotDone();
        long stopped = System.nanoTime();
        slow.stop(); // as on shutdown
        assertThatThrownBy(() -> starting.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(IllegalStateException.class).hasMessageContaining("stopped");
        assertThat(Duration.ofNanos(System.nanoTime() - stopped)).isLessThan(Duration.ofSeconds(2));
    }
}
