package io.submissionrouter.kafka;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.record.RecordBatch;

/**
 * The sends of one Kafka producer ({@link WriteProducer}) it has not answered yet (oldest first), whether it answered
 * any, and its network thread. A producer reports every send, acknowledged or failed, within its
 * {@code delivery.timeout.ms} of {@code send()} returning, and returns from {@code send()} within its
 * {@code max.block.ms}; one that does not has stopped working ({@link #overdue}, {@link ProducerWatch}). Each send's
 * callback is told once: by the producer, or, when the producer is retired, with a {@link WriteUnanswered} (the write
 * is then retried, on the producer in place by then).
 */
final class ProducerGeneration {

    static final String NETWORK_THREAD = "kafka-producer-network-thread | ";

    private final String clientId;
    /** Kafka's own send of the producer: hands the record over, the callback to be told once it is answered. */
    private final BiFunction<ProducerRecord<Object, Object>, Callback, Future<RecordMetadata>> producer;
    private final Thread networkThread;
    private final boolean replacement;
    /** {@link System#nanoTime()}, or a test's clock. */
    private final LongSupplier clock;
    private final long startedNanos;
    private final RecordSizes sizes;
    private final Duration writeBound;
    private final Duration blockBound;
    private final ConcurrentSkipListMap<Long, PendingSend> unanswered = new ConcurrentSkipListMap<>();
    private final AtomicLong sequence = new AtomicLong();
    private volatile boolean answered;
    private volatile boolean retired;

    ProducerGeneration(String clientId,
            BiFunction<ProducerRecord<Object, Object>, Callback, Future<RecordMetadata>> producer, boolean replacement,
            RecordSizes sizes, Duration writeBound, Duration blockBound, LongSupplier clock) {
        this.blockBound = blockBound;
        this.clock = clock;
        this.startedNanos = clock.getAsLong();
        this.clientId = clientId;
        this.producer = producer;
        this.replacement = replacement;
        this.sizes = sizes;
        this.writeBound = writeBound;
        this.networkThread = networkThread(NETWORK_THREAD + clientId);
    }

    /** The producer's I/O thread, started by its constructor; looked up once, by the name Kafka gives it. */
    private static Thread networkThread(String name) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> name.equals(t.getName())).findFirst()
                .orElse(null);
    }

    /**
     * Hands the record to the producer, its callback told once it is answered; null when the producer was retired
     * before it took the record (the write is neither handed over nor told: it goes to its successor). A send the
     * producer refuses by throwing is not told either: the exception is the answer.
     */
    Future<RecordMetadata> send(ProducerRecord<Object, Object> record, Callback callback) {
        PendingSend send = new PendingSend(sequence.incrementAndGet(), record, callback);
        unanswered.put(send.id, send);
        if (retired) { // after put: a retire that did not see this send is seen here
            return untold(send) ? null : send.outcome;
        }
        try {
            producer.apply(record, send);
            send.returned(clock.getAsLong()); // delivery.timeout.ms counts from here
        } catch (RuntimeException e) {
            if (untold(send)) {
                throw e;
            }
            // retired meanwhile, and told so: the callback has its answer (WriteUnanswered), the write is retried
        }
        return send.outcome;
    }

    /** Takes a send out of the unanswered ones; true when nobody told its callback anything (nobody will now). */
    private boolean untold(PendingSend send) {
        unanswered.remove(send.id);
        return send.told.compareAndSet(false, true);
    }

    String clientId() {
        return clientId;
    }

    /** Put in place of a producer that stopped working. */
    boolean replacement() {
        return replacement;
    }

    /** It answered a send (acknowledged or failed): its network thread works. */
    boolean answered() {
        return answered;
    }

    boolean networkThreadDied() {
        return networkThread != null && !networkThread.isAlive();
    }

    int unansweredCount() {
        return unanswered.size();
    }

    /**
     * How long the first send past the time a working producer answers in has waited (since it was handed over), or
     * null: Kafka reports a send within {@code delivery.timeout.ms} of {@code send()} returning, and {@code send()}
     * itself returns within {@code max.block.ms} (it waits there for metadata or buffer space), each bound with
     * {@code ack-timeout} on top ({@code writeBound}, {@code blockBound}). Counting both from before {@code send()}
     * would take a working producer that waited for metadata for one that stopped, and replace it.
     */
    Duration overdue(long nowNanos) {
        long mayWait = Math.min(writeBound.toNanos(), blockBound.toNanos());
        for (PendingSend send : unanswered.values()) {
            if (nowNanos - send.startedNanos <= mayWait) {
                return null; // the later ones were handed over later still (oldest first): none of them is overdue
            }
            boolean past = send.returned ? nowNanos - send.sentNanos > writeBound.toNanos()
                    : nowNanos - send.startedNanos > blockBound.toNanos();
            if (past) {
                return Duration.ofNanos(nowNanos - send.startedNanos);
            }
        }
        return null;
    }

    /** How long the oldest send it has not answered has waited; zero when it owes none. */
    Duration oldestUnanswered(long nowNanos) {
        var oldest = unanswered.firstEntry();
        return oldest == null ? Duration.ZERO : Duration.ofNanos(nowNanos - oldest.getValue().startedNanos);
    }

    Duration age(long nowNanos) {
        return Duration.ofNanos(nowNanos - startedNanos);
    }

    /** It is replaced: every send it has not answered fails, so that its write is retried on its successor. */
    void retire(String why) {
        retired = true;
        for (PendingSend send : unanswered.values()) {
            send.fail(new WriteUnanswered("Kafka producer " + clientId + " was replaced (" + why
                    + ") before it answered this write: written again on its successor"));
        }
        unanswered.clear();
    }

    /** One send: the callback Kafka calls, told once, and its outcome. */
    private final class PendingSend implements Callback {
        private final long id;
        private final long startedNanos = clock.getAsLong();
        /** When {@code send()} returned, once {@link #returned} says it did. */
        private long sentNanos;
        /** Whether {@code send()} returned; false while the producer is still inside it. */
        private volatile boolean returned;
        private final String topic;
        private final Integer partition;
        private final String key;
        private final int size;
        private final Callback callback;
        private final CompletableFuture<RecordMetadata> outcome = new CompletableFuture<>();
        private final AtomicBoolean told = new AtomicBoolean();

        PendingSend(long id, ProducerRecord<Object, Object> record, Callback callback) {
            this.id = id;
            this.topic = record.topic();
            this.partition = record.partition();
            this.key = RecordSizes.key(record);
            this.size = RecordSizes.size(record);
            this.callback = callback;
        }

        void returned(long nanos) {
            sentNanos = nanos;
            returned = true; // volatile, after: a reader that sees it sees sentNanos
        }

        /** The producer's answer; one that comes after the send was failed as unanswered changes nothing. */
        @Override
        public void onCompletion(RecordMetadata metadata, Exception exception) {
            unanswered.remove(id);
            answered = true;
            if (exception == null) {
                sizes.taken(topic, size);
                tell(metadata, null);
            } else {
                tell(metadata, sizes.explain(topic, key, size, exception));
            }
        }

        void fail(WriteUnanswered e) {
            // what Kafka itself hands a callback for a record that has no offset
            tell(new RecordMetadata(new TopicPartition(topic, partition == null ? -1 : partition), -1, -1,
                    RecordBatch.NO_TIMESTAMP, -1, -1), e);
        }

        private void tell(RecordMetadata metadata, Exception exception) {
            if (!told.compareAndSet(false, true)) {
                return;
            }
            if (exception == null) {
                outcome.complete(metadata);
            } else {
                outcome.completeExceptionally(exception);
            }
            if (callback != null) {
                callback.onCompletion(metadata, exception);
            }
        }
    }
}
