package io.submissionrouter.testing;

import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerInterceptor;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerInterceptor;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * A dormant Kafka interceptor that lets a test break the router's real producer against the real broker, the way
 * issue 21's producer broke: its {@code onAcknowledgement} runs on the producer's network thread, so an {@link Error}
 * thrown there ends the thread (Kafka's {@code Sender.run} catches only {@code Exception}), exactly as the
 * {@code StackOverflowError} of KAFKA-8202 did, and a call that blocks there leaves the producer silent (no
 * acknowledgement, no error). Armed by a static switch; it acts only on the router's write producers (client.id
 * {@code smtp-submission-router-producer-*}). Camel hands the component's interceptor classes to its consumers too,
 * so it is a consumer interceptor as well, one that does nothing.
 */
public class ProducerFaults implements ProducerInterceptor<Object, Object>, ConsumerInterceptor<Object, Object> {

    /** What the next acknowledgement does to its producer's network thread. */
    private enum Fault { NONE, KILL_EACH, HANG_ONCE }

    private static final AtomicReference<Fault> FAULT = new AtomicReference<>(Fault.NONE);
    private static volatile CountDownLatch hang = new CountDownLatch(0);
    private static final AtomicBoolean HANGING = new AtomicBoolean();

    private boolean shared;
    /** Each producer's thread dies once, at its first acknowledgement while the switch is on. */
    private final AtomicBoolean killed = new AtomicBoolean();

    /** From now on, each write producer's network thread dies at its next acknowledgement (a new one too). */
    public static void killEachProducer() {
        FAULT.set(Fault.KILL_EACH);
    }

    /** The next acknowledgement of a write producer blocks its network thread until {@link #disarm()}. */
    public static void hangNextAcknowledgement() {
        hang = new CountDownLatch(1);
        FAULT.set(Fault.HANG_ONCE);
    }

    /** Whether a network thread is blocked in this interceptor now. */
    public static boolean hanging() {
        return HANGING.get();
    }

    /** Producers made from now on work; a blocked network thread goes on. */
    public static void disarm() {
        FAULT.set(Fault.NONE);
        hang.countDown();
    }

    @Override
    public void configure(Map<String, ?> configs) {
        Object clientId = configs.get("client.id");
        shared = clientId != null && clientId.toString().startsWith("smtp-submission-router-producer-");
    }

    @Override
    public ProducerRecord<Object, Object> onSend(ProducerRecord<Object, Object> record) {
        return record;
    }

    @Override
    public void onAcknowledgement(RecordMetadata metadata, Exception exception) {
        if (!shared) {
            return;
        }
        Fault fault = FAULT.get();
        if (fault == Fault.KILL_EACH && killed.compareAndSet(false, true)) {
            throw new StackOverflowError("ProducerFaults: the network thread dies, as in KAFKA-8202");
        }
        if (fault == Fault.HANG_ONCE && FAULT.compareAndSet(Fault.HANG_ONCE, Fault.NONE)) {
            HANGING.set(true);
            try {
                hang.await(60, TimeUnit.SECONDS); // bounded, so a test that fails never leaves it blocked
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                HANGING.set(false);
            }
        }
    }

    @Override
    public ConsumerRecords<Object, Object> onConsume(ConsumerRecords<Object, Object> records) {
        return records;
    }

    @Override
    public void onCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {
        // a consumer interceptor only so that Camel's consumers accept the class
    }

    @Override
    public void close() {
        // nothing held
    }
}
