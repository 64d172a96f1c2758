package io.submissionrouter.kafka;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.record.RecordBatch;
import org.jboss.logging.Logger;

/**
 * One Kafka producer behind a {@link SharedProducer}: the sends it has not answered yet (oldest first), whether it
 * answered any, and its network thread. A producer reports every send, acknowledged or failed, within its
 * {@code delivery.timeout.ms} of {@code send()} returning, and returns from {@code send()} within its
 * {@code max.block.ms}; one that does not has stopped working ({@link #overdue}, {@link ProducerWatch}). Each send's
 * callback and future are told once: by the producer, or, when the producer is retired or the wait passes the write's
 * bound, with a {@link WriteUnanswered} (the write is then retried, on the producer in place by then).
 */
final class ProducerGeneration {

    static final String NETWORK_THREAD = "kafka-producer-network-thread | ";
    private static final Logger LOG = Logger.getLogger(ProducerGeneration.class);

    private final String clientId;
    private final Producer<Object, Object> producer;
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

    ProducerGeneration(String clientId, Producer<?, ?> producer, boolean replacement, RecordSizes sizes,
            Duration writeBound, Duration blockBound) {
        this(clientId, producer, replacement, sizes, writeBound, blockBound, System::nanoTime);
    }

    @SuppressWarnings("unchecked")
    ProducerGeneration(String clientId, Producer<?, ?> producer, boolean replacement, RecordSizes sizes,
            Duration writeBound, Duration blockBound, LongSupplier clock) {
        this.blockBound = blockBound;
        this.clock = clock;
        this.startedNanos = clock.getAsLong();
        this.clientId = clientId;
        this.producer = (Producer<Object, Object>) producer;
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

    /** @throws IllegalStateException once it is retired: the write goes to its successor */
    Future<RecordMetadata> send(ProducerRecord<Object, Object> record, Callback callback) {
        PendingSend send = new PendingSend(sequence.incrementAndGet(), record, callback);
        unanswered.put(send.id, send);
        if (retired) { // after put: a retire that did not see this send is seen here
            unanswered.remove(send.id);
            throw new IllegalStateException("Kafka producer " + clientId + " was replaced");
        }
        try {
            producer.send(record, send);
            send.returned(clock.getAsLong()); // delivery.timeout.ms counts from here
        } catch (RuntimeException e) {
            unanswered.remove(send.id);
            throw e;
        }
        return send;
    }

    Producer<Object, Object> producer() {
        return producer;
    }

    String clientId() {
        return clientId;
    }

    String networkThreadName() {
        return NETWORK_THREAD + clientId;
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

    /**
     * Closes it without waiting for anything: it may never answer again. Kafka's close joins the network thread
     * without a bound when that thread is stuck, so this runs on a pool thread of its own and nobody waits for it.
     */
    void close() {
        try {
            producer.close(Duration.ZERO);
        } catch (RuntimeException e) {
            LOG.debugf(e, "closing Kafka producer %s", clientId);
        }
    }

    /** One send: the callback Kafka calls, and the future camel-kafka waits on; told once. */
    private final class PendingSend implements Callback, Future<RecordMetadata> {
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

        /** camel-kafka's synchronous wait: bounded by the write's own time, then the write fails and is retried. */
        @Override
        public RecordMetadata get() throws InterruptedException, ExecutionException {
            try {
                return outcome.get(writeBound.toNanos(), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                fail(new WriteUnanswered("Kafka producer " + clientId + " did not answer a write to " + topic
                        + " within " + writeBound + ": written again"));
                return outcome.get();
            }
        }

        @Override
        public RecordMetadata get(long timeout, TimeUnit unit)
                throws InterruptedException, ExecutionException, TimeoutException {
            return outcome.get(timeout, unit);
        }

        @Override
        public boolean isDone() {
            return outcome.isDone();
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            return false; // a record handed to Kafka cannot be taken back
        }

        @Override
        public boolean isCancelled() {
            return false;
        }
    }
}
