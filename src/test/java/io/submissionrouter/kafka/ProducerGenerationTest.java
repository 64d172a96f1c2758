package io.submissionrouter.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.Test;

/**
 * When a send a producer has not answered is past the time a working producer answers in (CONTRACT 9.5), so that the
 * watch replaces it: {@code delivery.timeout.ms} counts from when {@code send()} returned, and {@code send()} itself
 * may block up to {@code max.block.ms} (metadata, buffer space) before that; each with {@code ack-timeout} on top.
 * Kafka's defaults: delivery.timeout.ms 120 s, max.block.ms 60 s; ack-timeout 30 s. The clock is the test's. And
 * that a send meeting the producer's retirement is answered exactly once: told, thrown, or left to the successor.
 */
class ProducerGenerationTest {

    private static final Duration WRITE_BOUND = Duration.ofSeconds(120 + 30);
    private static final Duration BLOCK_BOUND = Duration.ofSeconds(60 + 30);
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final ProducerRecord<Object, Object> RECORD = new ProducerRecord<>("email.results", new byte[1],
            new byte[1]);

    /** The router's records are bytes already. */
    private static final Serializer<Object> RAW = (topic, data) -> (byte[]) data;

    private final AtomicLong clock = new AtomicLong();

    @Test
    void aSendThatWaitedForMetadataIsAnsweredInTimeUntilDeliveryTimeoutAfterSendReturned() {
        Duration metadataWait = Duration.ofSeconds(50);
        // a working producer that finds no metadata for 50 s, then takes the record and has not answered yet
        MockProducer<Object, Object> slowToTake = new MockProducer<>(false, null, RAW, RAW) {
            @Override
            public synchronized Future<RecordMetadata> send(ProducerRecord<Object, Object> r, Callback callback) {
                clock.addAndGet(metadataWait.toNanos());
                return super.send(r, callback);
            }
        };
        ProducerGeneration g = generation(slowToTake);
        long before = clock.get();
        g.send(RECORD, null);
        long returned = clock.get();

        assertThat(g.overdue(returned + WRITE_BOUND.toNanos() - MS)).as("within delivery.timeout.ms + ack-timeout "
                + "of send() returning, after %s in send()", metadataWait).isNull();
        assertThat(g.overdue(returned + WRITE_BOUND.toNanos() + MS)).isEqualTo(Duration.ofNanos(
                returned + WRITE_BOUND.toNanos() + MS - before));
    }

    @Test
    void aSendStillInsideSendIsOverdueOnlyPastMaxBlockMs() throws Exception {
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        MockProducer<Object, Object> blocked = new MockProducer<>(false, null, RAW, RAW) {
            @Override
            public Future<RecordMetadata> send(ProducerRecord<Object, Object> r, Callback callback) {
                inside.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return super.send(r, callback);
            }
        };
        ProducerGeneration g = generation(blocked);
        long started = clock.get();
        Thread sender = new Thread(() -> g.send(RECORD, null), "sender");
        sender.start();
        try {
            assertThat(inside.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(g.overdue(started + BLOCK_BOUND.toNanos() - MS)).as("within max.block.ms + ack-timeout")
                    .isNull();
            assertThat(g.overdue(started + BLOCK_BOUND.toNanos() + MS)).isEqualTo(BLOCK_BOUND.plusNanos(MS));
        } finally {
            release.countDown();
            sender.join(10_000);
        }
    }

    @Test
    void anAnsweredSendIsNeverOverdue() {
        MockProducer<Object, Object> producer = new MockProducer<>(false, null, RAW, RAW);
        ProducerGeneration g = generation(producer);
        g.send(RECORD, null);
        producer.completeNext();
        assertThat(g.overdue(clock.get() + WRITE_BOUND.toNanos() * 2)).isNull();
    }

    @Test
    void aSendAfterItWasRetiredIsNeitherHandedOverNorToldSoThatItsSuccessorTakesIt() {
        MockProducer<Object, Object> producer = new MockProducer<>(false, null, RAW, RAW);
        ProducerGeneration g = generation(producer);
        g.retire("test");
        AtomicInteger told = new AtomicInteger();
        assertThat(g.send(RECORD, (m, e) -> told.incrementAndGet())).isNull();
        assertThat(producer.history()).isEmpty();
        assertThat(told).hasValue(0);
    }

    @Test
    void aSendRetiredWhileInsideSendIsToldOnceAndDoesNotThrowToo() {
        ProducerGeneration[] g = new ProducerGeneration[1];
        // the producer is replaced while the send is inside it, and then refuses the record as closed
        MockProducer<Object, Object> closing = new MockProducer<>(false, null, RAW, RAW) {
            @Override
            public synchronized Future<RecordMetadata> send(ProducerRecord<Object, Object> r, Callback callback) {
                g[0].retire("test");
                throw new IllegalStateException("Cannot perform operation after producer has been closed");
            }
        };
        g[0] = generation(closing);
        List<Exception> told = new ArrayList<>();
        Future<RecordMetadata> sent = g[0].send(RECORD, (m, e) -> told.add(e));
        assertThat(sent).isNotNull().isDone();
        assertThat(told).singleElement().isInstanceOf(WriteUnanswered.class);
        assertThat(g[0].unansweredCount()).isZero();
    }

    private ProducerGeneration generation(MockProducer<Object, Object> producer) {
        return new ProducerGeneration("test", producer::send, false, new RecordSizes(), WRITE_BOUND, BLOCK_BOUND, clock::get);
    }
}
