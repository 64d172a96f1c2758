package io.submissionrouter.kafka;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.routing.JobIntake;
import io.submissionrouter.routing.JobProperties;
import io.submissionrouter.routing.RecordRef;
import io.submissionrouter.routing.SourceRecord;
import io.submissionrouter.routing.UnsettledPasses;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Named;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

/**
 * The jobs this pod works on at once (CONTRACT 8.3), independent of the jobs topic's partitions. The intake route
 * hands each record here on its consumer's thread ({@link #dispatch}), which returns at once; the job then runs the
 * route {@code direct:job} on a thread of the pod's jobs pool (from Camel's ExecutorServiceManager, shut down in
 * order with the context). Jobs with the same key never run at the same time: one whose key is busy waits behind it.
 * <p>
 * Offsets are committed by the consumers themselves, after each poll ({@link InFlightCommits}): for each of their
 * partitions, up to the first job in it that has not finished ({@link PartitionProgress}). While
 * {@code submission.concurrency.in-flight} jobs (or {@code in-flight-bytes} of their records) are in flight, the
 * consumers pause their partitions and go on polling, so a job waiting long for a reply never evicts a consumer and
 * never holds up the other partitions. A job whose pass fails (Kafka refused a write for write-retry-for) stays in
 * flight and runs again after a pause; its pass is found unsettled and only writes what it still owes.
 * When partitions go (a rebalance, a shutdown), their jobs not started are handed back and those running are waited
 * for and committed ({@link #revoked}).
 */
@ApplicationScoped
@Named("inFlightJobs")
public class InFlightJobs {

    static final String ROUTE = "direct:job";
    private static final Logger LOG = Logger.getLogger(InFlightJobs.class);
    private static final long FIRST_RETRY_MS = 1000;
    private static final long MAX_RETRY_MS = 30_000;
    /** How often a partition's progress is committed at most (per poll otherwise). */
    static final Duration COMMIT_EVERY = Duration.ofMillis(200);

    private final CamelContext camel;
    private final UnsettledPasses unsettled;
    private final int maxJobs;
    private final long maxBytes;
    private final Duration jobTime;
    /** Records a partition may run ahead of its first unfinished job. */
    private final int maxSpan;
    /** The progress of every partition assigned to a consumer of this pod, for the records they hand over. */
    private final Map<TopicPartition, PartitionProgress> partitions = new ConcurrentHashMap<>();
    /** The partitions each consumer was given, with the progress made for it: only its own are its to give back. */
    private final Map<Consumer<?, ?>, Map<TopicPartition, PartitionProgress>> owned = new ConcurrentHashMap<>();
    /** Jobs waiting for a busy key, by key; a key present (even with an empty queue) is busy. */
    private final Map<String, ArrayDeque<Job>> keys = new HashMap<>();
    /** Every job in flight: taken, not released. */
    private final Set<Job> inFlight = ConcurrentHashMap.newKeySet();
    private final Set<Job> running = ConcurrentHashMap.newKeySet();
    private final AtomicInteger jobs = new AtomicInteger();
    private final AtomicLong bytes = new AtomicLong();
    private volatile ExecutorService pool;
    private volatile ScheduledExecutorService retries;
    private volatile ProducerTemplate template;
    private volatile boolean stopping;

    /**
     * One record in flight. Its partition leaving marks it handed back (under its lock): from then on it never starts,
     * and if it is running it is finished but never run again here.
     */
    static final class Job {
        final SourceRecord source;
        final RecordRef record;
        final TopicPartition partition;
        final String key;
        final long size;
        /** Its partition's progress when it was taken: a partition that leaves and comes back has a new one. */
        final PartitionProgress progress;
        private boolean handedBack;
        private boolean released;
        /** Its next run, while it waits to run again after a failure. */
        private ScheduledFuture<?> retry;
        int failures;

        Job(SourceRecord source, PartitionProgress progress) {
            this.source = source;
            this.record = RecordRef.of(source);
            this.partition = new TopicPartition(source.topic(), source.partition());
            this.key = source.key() == null ? null : new String(source.key(), StandardCharsets.UTF_8);
            this.size = (source.value() == null ? 0 : source.value().length)
                    + (source.key() == null ? 0 : source.key().length);
            this.progress = progress;
        }

        /** Marks it handed back; true if it was waiting to run again, and now will not (its retry is cancelled). */
        synchronized boolean handBack() {
            handedBack = true;
            return retry != null && retry.cancel(false);
        }
    }

    public InFlightJobs(CamelContext camel, SubmissionConfig config, MeterRegistry registry,
            UnsettledPasses unsettled) {
        this.camel = camel;
        this.unsettled = unsettled;
        this.maxJobs = config.concurrency().inFlight();
        this.maxBytes = config.concurrency().inFlightBytes();
        this.jobTime = config.consumer().jobTimeout().plus(config.kafka().writeRetryFor());
        this.maxSpan = Math.max(256, 16 * maxJobs);
        Gauge.builder("submission.jobs.in.flight", running, Set::size)
                .description("Jobs this pod works on now (submission.concurrency.in-flight at most)").register(registry);
        Gauge.builder("submission.jobs.taken", jobs, AtomicInteger::get)
                .description("Jobs taken from the jobs topic and not finished: running or queued for a thread")
                .register(registry);
    }

    /**
     * A record of the jobs topic (the intake route, on its consumer's thread): taken in flight and handed to the jobs
     * pool, after any job with the same key. Returns at once. A record read again while its job is in flight, or
     * finished but not committed yet, is not taken twice.
     */
    public void dispatch(Exchange exchange) {
        SourceRecord source = JobIntake.source(exchange.getIn());
        PartitionProgress progress = partitions.computeIfAbsent(
                new TopicPartition(source.topic(), source.partition()), tp -> new PartitionProgress());
        if (!progress.take(source.offset())) {
            return;
        }
        Job job = new Job(source, progress);
        inFlight.add(job);
        jobs.incrementAndGet();
        bytes.addAndGet(job.size);
        synchronized (keys) {
            if (job.key != null) {
                ArrayDeque<Job> waiting = keys.get(job.key);
                if (waiting != null) {
                    waiting.add(job); // the same key is in flight: this one runs after it
                    return;
                }
                keys.put(job.key, new ArrayDeque<>());
            }
        }
        submit(job);
    }

    /**
     * Whether the consumers must pause: the pod has taken as many jobs again as it runs at once (in-flight), queued
     * for the pool behind those running, or their records hold in-flight-bytes. The queue keeps every thread busy
     * between polls (a paused consumer resumes after its next poll, up to pollTimeoutMs later); a queued job has
     * not started, so it is never sent twice, and a rebalance or a shutdown hands it back.
     */
    public boolean full() {
        return jobs.get() >= 2 * maxJobs || (bytes.get() >= maxBytes && jobs.get() > 0);
    }

    /** Jobs taken now: running (at most in-flight) or queued for the pool. */
    public int size() {
        return jobs.get();
    }

    /**
     * The offsets to commit now for {@code assigned} partitions: up to each one's first unfinished job, the later
     * finished ones in the metadata ({@link PartitionProgress}); a partition committed less than
     * {@link #COMMIT_EVERY} ago waits, unless {@code now}. The caller (the consumer's thread) commits them and reports
     * back with {@link #committed} or {@link #commitFailed}.
     */
    Map<TopicPartition, OffsetAndMetadata> committable(Collection<TopicPartition> assigned, boolean now) {
        return committable(progressOf(assigned), now);
    }

    private static Map<TopicPartition, OffsetAndMetadata> committable(Map<TopicPartition, PartitionProgress> progress,
            boolean now) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        progress.forEach((tp, p) -> {
            OffsetAndMetadata o = p.committable(now ? 0 : COMMIT_EVERY.toNanos());
            if (o != null) {
                offsets.put(tp, o);
            }
        });
        return offsets;
    }

    private Map<TopicPartition, PartitionProgress> progressOf(Collection<TopicPartition> assigned) {
        Map<TopicPartition, PartitionProgress> progress = new HashMap<>();
        for (TopicPartition tp : assigned) {
            PartitionProgress p = partitions.get(tp);
            if (p != null) {
                progress.put(tp, p);
            }
        }
        return progress;
    }

    /** {@code offsets} were committed: the passes of the records before them are over. */
    void committed(Map<TopicPartition, OffsetAndMetadata> offsets) {
        committed(progressOf(offsets.keySet()), offsets);
    }

    private void committed(Map<TopicPartition, PartitionProgress> progress,
            Map<TopicPartition, OffsetAndMetadata> offsets) {
        offsets.forEach((tp, o) -> {
            PartitionProgress p = progress.get(tp);
            if (p != null) {
                p.committed(o.offset());
            }
            unsettled.settleBefore(tp.topic(), tp.partition(), o.offset());
        });
    }

    void commitFailed(Map<TopicPartition, OffsetAndMetadata> offsets) {
        progressOf(offsets.keySet()).values().forEach(PartitionProgress::failed);
    }

    /**
     * The partitions of {@code assigned} that must not give more records now: every one while the pod's jobs in
     * flight are at their bound; else those whose first unfinished job is {@link #maxSpan} records behind (a job
     * waiting long holds its partition's commit, and what runs after it is bounded).
     */
    Set<TopicPartition> mustWait(Collection<TopicPartition> assigned) {
        if (full()) {
            return Set.copyOf(assigned);
        }
        Set<TopicPartition> waiting = new java.util.HashSet<>();
        progressOf(assigned).forEach((tp, p) -> {
            if (p.span() >= maxSpan) {
                waiting.add(tp);
            }
        });
        return waiting;
    }

    /**
     * Partitions come to this consumer: each picks up where its last commit left, skipping the jobs after it that the
     * commit's metadata names as finished. On the consumer's thread.
     */
    public void assigned(Consumer<?, ?> consumer, Collection<TopicPartition> assigned) {
        if (assigned.isEmpty()) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> last = consumer.committed(Set.copyOf(assigned), Duration.ofSeconds(30));
        Map<TopicPartition, PartitionProgress> mine = owned.computeIfAbsent(consumer, c -> new ConcurrentHashMap<>());
        for (TopicPartition tp : assigned) {
            PartitionProgress p = new PartitionProgress();
            OffsetAndMetadata o = last.get(tp);
            if (o != null) {
                p.resume(o.offset(), o.metadata());
            }
            partitions.put(tp, p);
            mine.put(tp, p);
        }
    }

    /**
     * Partitions leave this consumer (a rebalance, the consumer stopping): their jobs not started are handed back
     * (their new owner reads them again), those running are waited for, at most a job's whole time, then what is
     * finished is committed. Only what this consumer was given is touched: the same partition may be another
     * consumer's of this pod by now. On the consumer's thread.
     */
    public void revoked(Consumer<?, ?> consumer, Collection<TopicPartition> revoked) {
        Map<TopicPartition, PartitionProgress> gone = release(consumer, revoked);
        if (gone.isEmpty()) {
            return;
        }
        Set<PartitionProgress> progress = Set.copyOf(gone.values());
        long deadline = System.nanoTime() + jobTime.toNanos();
        while (running.stream().anyMatch(j -> progress.contains(j.progress)) && System.nanoTime() < deadline) {
            if (!sleep(20)) {
                break; // the consumer is being closed by force: commit what is finished now
            }
        }
        Map<TopicPartition, OffsetAndMetadata> offsets = committable(gone, true);
        if (!offsets.isEmpty()) {
            boolean interrupted = Thread.interrupted(); // a commit interrupted would not be made
            try {
                consumer.commitSync(offsets, Duration.ofSeconds(30));
                committed(gone, offsets);
            } catch (RuntimeException e) {
                LOG.warnf("committing %s as its partitions left failed (%s); their new owner reads those jobs again",
                        offsets, e.getMessage());
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /** Partitions were lost (no commit is possible): their jobs not started are handed back. */
    public void lost(Consumer<?, ?> consumer, Collection<TopicPartition> lost) {
        release(consumer, lost);
    }

    /** Takes {@code gone} from {@code consumer}, and hands back their jobs: returns the progress they had here. */
    private Map<TopicPartition, PartitionProgress> release(Consumer<?, ?> consumer, Collection<TopicPartition> gone) {
        Map<TopicPartition, PartitionProgress> mine = owned.get(consumer);
        Map<TopicPartition, PartitionProgress> released = new HashMap<>();
        if (mine == null) {
            return released;
        }
        for (TopicPartition tp : gone) {
            PartitionProgress p = mine.remove(tp);
            if (p != null) {
                released.put(tp, p);
                partitions.remove(tp, p);
            }
        }
        if (mine.isEmpty()) {
            owned.remove(consumer); // a consumer that reconnects is a new one
        }
        if (!released.isEmpty()) {
            handBack(Set.copyOf(released.values()));
        }
        return released;
    }

    /** Jobs of partitions gone (by their progress here) will not start here, nor run again if running. */
    private void handBack(Set<PartitionProgress> gone) {
        List<Job> waitingToRetry = new ArrayList<>();
        for (Job job : inFlight) {
            if (gone.contains(job.progress) && job.handBack()) {
                waitingToRetry.add(job);
            }
        }
        // those waiting to run again after a failure leave now, and free their key
        waitingToRetry.forEach(j -> {
            release(j);
            next(j);
        });
        // those waiting behind a busy key leave now; those submitted to the pool or waiting for a retry when they
        // would start
        List<Job> left = new ArrayList<>();
        synchronized (keys) {
            for (ArrayDeque<Job> waiting : keys.values()) {
                waiting.removeIf(j -> gone.contains(j.progress) && left.add(j));
            }
        }
        left.forEach(this::release);
    }

    private void submit(Job job) {
        pool().execute(() -> run(job));
    }

    private void run(Job job) {
        boolean stoppingNow = stopping || camel.isStopping();
        boolean skip;
        synchronized (job) {
            if (stoppingNow) {
                job.handedBack = true; // a graceful shutdown waits for the jobs running, not for those queued
            }
            skip = job.handedBack;
            job.retry = null;
            if (!skip) {
                running.add(job); // under the job's lock: a hand-back sees it running, or keeps it from starting
            }
        }
        if (skip) {
            // its partition left: neither run nor finished here (its record is read again from the commit)
            release(job);
            next(job);
            return;
        }
        Exception failure;
        try {
            Exchange done = template().send(ROUTE, ex -> {
                ex.setProperty(JobProperties.SOURCE, job.source);
                ex.setProperty(JobProperties.RECORD, job.record);
            });
            failure = done.getException();
            if (failure == null) {
                unsettled.owesNothing(job.record);
                // before it leaves the running jobs: a revoke waiting for it then commits it
                job.progress.finish(job.source.offset());
            }
        } catch (RuntimeException e) {
            failure = e;
        } finally {
            running.remove(job);
        }
        if (failure != null && !stopping && !camel.isStopping() && retryLater(job, failure)) {
            return;
        }
        release(job);
        next(job);
    }

    /** Schedules the job to run again after a pause, unless it was handed back meanwhile: false then. */
    private boolean retryLater(Job job, Exception failure) {
        synchronized (job) {
            if (job.handedBack) {
                return false;
            }
            job.failures++;
            long pause = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS << Math.min(10, job.failures - 1));
            try {
                job.retry = retries().schedule(() -> submit(job), pause, TimeUnit.MILLISECONDS);
            } catch (RuntimeException e) {
                return false; // the scheduler is shut down: its record is read again
            }
            LOG.warnf("job %s from %s could not finish (%s); it stays in flight and runs again in %d ms",
                    job.key, job.record, failure.getMessage(), pause);
            return true;
        }
    }

    /** The job no longer counts toward the bound (once, however it ends). */
    private void release(Job job) {
        synchronized (job) {
            if (job.released) {
                return;
            }
            job.released = true;
        }
        inFlight.remove(job);
        jobs.decrementAndGet();
        bytes.addAndGet(-job.size);
    }

    /** The next job with the same key, if one waits; else the key is free. */
    private void next(Job job) {
        if (job.key == null) {
            return;
        }
        Job following;
        synchronized (keys) {
            ArrayDeque<Job> waiting = keys.get(job.key);
            following = waiting == null ? null : waiting.poll();
            if (following == null) {
                keys.remove(job.key);
            }
        }
        if (following != null) {
            submit(following);
        }
    }

    /** Shutting down: a job that fails is not run again here (its record is read again after the restart). */
    void onShutdown(@Observes ShutdownEvent event) {
        stopping = true;
    }

    public boolean stopping() {
        return stopping;
    }

    private ExecutorService pool() {
        ExecutorService p = pool;
        if (p == null) {
            synchronized (this) {
                if (pool == null) {
                    pool = camel.getExecutorServiceManager().newFixedThreadPool(this, "SubmissionJobs", maxJobs);
                }
                p = pool;
            }
        }
        return p;
    }

    private ScheduledExecutorService retries() {
        ScheduledExecutorService r = retries;
        if (r == null) {
            synchronized (this) {
                if (retries == null) {
                    retries = camel.getExecutorServiceManager().newSingleThreadScheduledExecutor(this,
                            "SubmissionJobRetries");
                }
                r = retries;
            }
        }
        return r;
    }

    private ProducerTemplate template() {
        ProducerTemplate t = template;
        if (t == null) {
            synchronized (this) {
                if (template == null) {
                    template = camel.createProducerTemplate();
                }
                t = template;
            }
        }
        return t;
    }

    /** False when interrupted (the flag is kept). */
    private static boolean sleep(long millis) {
        try {
            Thread.sleep(millis);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
