package io.submissionrouter.intake;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.job.JobProperties;
import io.submissionrouter.pass.RecordRef;
import io.submissionrouter.pass.SourceRecord;
import io.submissionrouter.pass.UnsettledPasses;
import io.submissionrouter.routing.JobIntake;
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
import java.util.function.BooleanSupplier;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.spi.ExecutorServiceManager;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

/**
 * The jobs this pod works on at once (CONTRACT 8.3), whatever partition they come from. Two sources hand records here
 * on their consumer's thread and return at once: the intake ({@link #dispatch}, running {@code direct:job}) and each
 * relay group's retries route, once a record is due ({@link #start}, running {@code direct:redeliver}). The jobs run
 * on the jobs pool (Camel's ExecutorServiceManager); jobs with the same key never run at the same time.
 * <p>
 * Each source has a budget, so retries never starve fresh jobs and one group's slow retries never hold up another's:
 * the intake up to twice {@code submission.concurrency.in-flight}, each group's retries up to {@link #retryBudget}
 * (together at most half the pool's threads); every source stops while the records in flight hold
 * {@code in-flight-bytes}. Its consumers then pause their partitions and go on polling ({@link InFlightCommits}), so
 * a job waiting long for a reply never evicts a consumer; they commit each partition up to its first unfinished job
 * ({@link PartitionProgress}). A job whose pass fails (Kafka refused a write for write-retry-for) stays in flight and
 * runs again after a pause, writing only what it still owes. Partitions that go hand back their jobs not started, and
 * wait for those running to commit them ({@link #revoked}).
 * <p>
 * Over 300 lines because the order of jobs with the same key, the budget of each source, each partition's progress
 * and the hand-back on a rebalance are kept under one lock: split, a job could be taken by one part and committed by
 * another in between.
 */
@ApplicationScoped
@Named("inFlightJobs")
public class InFlightJobs {

    static final String ROUTE = "direct:job";
    /** The source of the jobs of the jobs topic. */
    public static final String INTAKE = "intake";
    private static final Logger LOG = Logger.getLogger(InFlightJobs.class);
    private static final long FIRST_RETRY_MS = 1000;
    private static final long MAX_RETRY_MS = 30_000;
    /** How often a partition's progress is committed at most (per poll otherwise). */
    static final Duration COMMIT_EVERY = Duration.ofMillis(200);

    private final CamelContext camel;
    private final MeterRegistry registry;
    private final UnsettledPasses unsettled;
    private final int maxJobs;
    private final long maxBytes;
    private final Duration jobTime;
    /** Records a partition may run ahead of its first unfinished job. */
    private final int maxSpan;
    /** Jobs in flight a relay group's retries may have at once. */
    private final int retryBudget;
    /**
     * The partitions each consumer was given, with the progress made for it, and the source it reads for: found by
     * the records it hands over, dropped when they leave it. Only its own are its to commit, hold and give back.
     */
    private final Map<Consumer<?, ?>, Owner> owned = new ConcurrentHashMap<>();
    /** Jobs taken and not released, by source ({@link #INTAKE}, or {@link #retries} of a relay group). */
    private final Map<String, AtomicInteger> taken = new ConcurrentHashMap<>();
    /** Jobs waiting for a busy key, by key; a key present (even with an empty queue) is busy. */
    private final Map<String, ArrayDeque<Job>> keys = new HashMap<>();
    /** Every job in flight: taken, not released. */
    private final Set<Job> inFlight = ConcurrentHashMap.newKeySet();
    private final Set<Job> running = ConcurrentHashMap.newKeySet();
    private final AtomicInteger jobs = new AtomicInteger();
    private final AtomicLong bytes = new AtomicLong();
    private volatile Runners runners;
    private volatile boolean stopping;

    /** The partitions a consumer was given, for one source of jobs. */
    private record Owner(String source, Map<TopicPartition, PartitionProgress> partitions) {
    }

    /** The jobs pool, the scheduler of jobs that run again and the template that runs them: made at the first job. */
    private record Runners(ExecutorService pool, ScheduledExecutorService retries, ProducerTemplate template) {
    }

    /**
     * One record in flight. Its partition leaving marks it handed back (under its lock): from then on it never starts,
     * and if it is running it is finished but never run again here.
     */
    static final class Job {
        final String source;
        final RecordRef record;
        final String key;
        final long size;
        /** The route that runs it, and the exchange properties it is given. */
        final String route;
        final Map<String, Object> properties;
        /** Its partition's progress when it was taken: a partition that leaves and comes back has a new one. */
        final PartitionProgress progress;
        private boolean handedBack;
        private boolean released;
        /** Its next run, while it waits to run again after a failure. */
        private ScheduledFuture<?> retry;
        int failures;

        Job(String source, RecordRef record, byte[] key, byte[] value, PartitionProgress progress, String route,
                Map<String, Object> properties) {
            this.source = source;
            this.record = record;
            this.key = key == null ? null : new String(key, StandardCharsets.UTF_8);
            this.size = (value == null ? 0 : value.length) + (key == null ? 0 : key.length);
            this.progress = progress;
            this.route = route;
            this.properties = properties;
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
        this.registry = registry;
        this.unsettled = unsettled;
        this.maxJobs = config.concurrency().inFlight();
        this.maxBytes = config.concurrency().inFlightBytes();
        this.jobTime = config.consumer().jobTimeout().plus(config.kafka().writeRetryFor());
        this.maxSpan = Math.max(256, 16 * maxJobs);
        this.retryBudget = Math.max(1, maxJobs / (2 * (config.relays().size() + 1)));
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
        RecordRef record = RecordRef.of(source);
        start(INTAKE, progress(exchange, INTAKE), record, source.key(), source.value(), ROUTE,
                Map.of(JobProperties.SOURCE, source, JobProperties.RECORD, record));
    }

    /** The source of the jobs of {@code relay}'s retries. */
    public static String retries(String relay) {
        return "retries-" + relay;
    }

    /**
     * The progress of the partition of the exchange's record, as the consumer that polled it (and reads for
     * {@code source}) has it: where its records are taken, passed over or held.
     */
    public PartitionProgress progress(Exchange exchange, String source) {
        Owner owner = owned.computeIfAbsent(InFlightCommits.polledBy(exchange.getIn()),
                c -> new Owner(source, new ConcurrentHashMap<>()));
        TopicPartition tp = new TopicPartition(exchange.getIn().getHeader(KafkaConstants.TOPIC, String.class),
                exchange.getIn().getHeader(KafkaConstants.PARTITION, 0, Integer.class));
        return owner.partitions().computeIfAbsent(tp, p -> new PartitionProgress());
    }

    /**
     * A record {@code source} hands over (on its consumer's thread): taken in flight and handed to the jobs pool, after
     * any job with the same key, to run {@code route} with {@code properties}. Returns at once. A record read again
     * while its job is in flight, or finished but not committed yet, or while its partition is held, is not taken.
     */
    public void start(String source, PartitionProgress progress, RecordRef record, byte[] key, byte[] value,
            String route, Map<String, Object> properties) {
        if (!progress.take(record.offset())) {
            return;
        }
        Job job = new Job(source, record, key, value, progress, route, properties);
        inFlight.add(job);
        jobs.incrementAndGet();
        taken(source).incrementAndGet();
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
        return full(INTAKE);
    }

    /** Whether {@code source} must stop taking jobs: its budget is used up, or the records in flight fill the pod. */
    boolean full(String source) {
        int mine = taken(source).get();
        return mine >= (INTAKE.equals(source) ? 2 * maxJobs : retryBudget) || (bytes.get() >= maxBytes && jobs.get() > 0);
    }

    private AtomicInteger taken(String source) {
        return taken.computeIfAbsent(source, s -> {
            AtomicInteger count = new AtomicInteger();
            Gauge.builder("submission.jobs.taken.by.source", count, AtomicInteger::get).tag("source", s)
                    .description("Jobs taken and not finished, by source: intake, or retries-<relay>").register(registry);
            return count;
        });
    }

    /** Jobs taken now: running (at most in-flight) or queued for the pool. */
    public int size() {
        return jobs.get();
    }

    /**
     * The offsets {@code consumer} commits now for its {@code assigned} partitions: up to each one's first unfinished
     * job, the later finished ones in the metadata ({@link PartitionProgress}); a partition committed less than
     * {@link #COMMIT_EVERY} ago waits, unless {@code now}. The caller (the consumer's thread) commits them and reports
     * back with {@link #committed} or {@link #commitFailed}.
     */
    Map<TopicPartition, OffsetAndMetadata> committable(Consumer<?, ?> consumer, Collection<TopicPartition> assigned,
            boolean now) {
        return committable(progressOf(consumer, assigned), now);
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

    private Map<TopicPartition, PartitionProgress> progressOf(Consumer<?, ?> consumer,
            Collection<TopicPartition> assigned) {
        Map<TopicPartition, PartitionProgress> progress = new HashMap<>();
        Owner owner = owned.get(consumer);
        for (TopicPartition tp : owner == null ? List.<TopicPartition>of() : assigned) {
            PartitionProgress p = owner.partitions().get(tp);
            if (p != null) {
                progress.put(tp, p);
            }
        }
        return progress;
    }

    /** {@code consumer} committed {@code offsets}: the passes of the records before them that ran here are over. */
    void committed(Consumer<?, ?> consumer, Map<TopicPartition, OffsetAndMetadata> offsets) {
        committed(progressOf(consumer, offsets.keySet()), offsets, false);
    }

    private void committed(Map<TopicPartition, PartitionProgress> progress,
            Map<TopicPartition, OffsetAndMetadata> offsets, boolean last) {
        offsets.forEach((tp, o) -> {
            PartitionProgress p = progress.get(tp);
            if (p != null) {
                p.committed(o, last).forEach(ran -> unsettled.settle(new RecordRef(tp.topic(), tp.partition(), ran)));
            }
        });
    }

    void commitFailed(Consumer<?, ?> consumer, Map<TopicPartition, OffsetAndMetadata> offsets) {
        progressOf(consumer, offsets.keySet()).values().forEach(PartitionProgress::failed);
    }

    /**
     * The holds of {@code consumer}'s partitions (records that must not run yet): each new one as the offset to put
     * its partition's position back on ({@code seek}); those over are ended and left out of what stays held. Returns
     * the partitions held now. On the consumer's thread.
     */
    Set<TopicPartition> holds(Consumer<?, ?> consumer, Collection<TopicPartition> assigned,
            java.util.function.ObjLongConsumer<TopicPartition> seek) {
        Set<TopicPartition> held = new java.util.HashSet<>();
        progressOf(consumer, assigned).forEach((tp, p) -> {
            p.release();
            long at = p.holdToApply();
            if (at >= 0) {
                seek.accept(tp, at);
            }
            if (p.held()) {
                held.add(tp);
            }
        });
        return held;
    }

    /**
     * The partitions of {@code consumer}'s {@code assigned} that must not give more records now: every one while its
     * source's jobs in flight are at their budget (or the pod's records in flight at their bound); else those whose
     * first unfinished job is {@link #maxSpan} records behind (a job waiting long holds its partition's commit, and
     * what runs after it is bounded).
     */
    Set<TopicPartition> mustWait(Consumer<?, ?> consumer, Collection<TopicPartition> assigned) {
        Owner owner = owned.get(consumer);
        if (full(owner == null ? INTAKE : owner.source())) {
            return Set.copyOf(assigned);
        }
        Set<TopicPartition> waiting = new java.util.HashSet<>();
        progressOf(consumer, assigned).forEach((tp, p) -> {
            if (p.span() >= maxSpan) {
                waiting.add(tp);
            }
        });
        return waiting;
    }

    /**
     * Partitions come to this consumer, which reads them for {@code source}: each picks up where its last commit left,
     * skipping the jobs after it that the commit's metadata names as finished, and is held there until {@code known}
     * (the completed jobIds read to the idempotency topic's end). On the consumer's thread.
     */
    public void assigned(Consumer<?, ?> consumer, String source, Collection<TopicPartition> assigned,
            BooleanSupplier known) {
        if (assigned.isEmpty()) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> last = consumer.committed(Set.copyOf(assigned), Duration.ofSeconds(30));
        Map<TopicPartition, PartitionProgress> mine = owned.computeIfAbsent(consumer,
                c -> new Owner(source, new ConcurrentHashMap<>())).partitions();
        for (TopicPartition tp : assigned) {
            PartitionProgress p = new PartitionProgress();
            OffsetAndMetadata o = last.get(tp);
            if (o != null) {
                p.resume(o.offset(), o.metadata());
            }
            if (!known.getAsBoolean()) {
                p.holdAtStart(known);
            }
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
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break; // the consumer is being closed by force: commit what is finished now
            }
        }
        Map<TopicPartition, OffsetAndMetadata> offsets = committable(gone, true);
        if (!offsets.isEmpty()) {
            boolean interrupted = Thread.interrupted(); // a commit interrupted would not be made
            try {
                consumer.commitSync(offsets, Duration.ofSeconds(30));
                committed(gone, offsets, true);
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
        Owner owner = owned.get(consumer);
        Map<TopicPartition, PartitionProgress> released = new HashMap<>();
        if (owner == null) {
            return released;
        }
        Map<TopicPartition, PartitionProgress> mine = owner.partitions();
        for (TopicPartition tp : gone) {
            PartitionProgress p = mine.remove(tp);
            if (p != null) {
                released.put(tp, p);
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
        runners().pool().execute(() -> run(job));
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
            Exchange done = runners().template().send(job.route, ex -> job.properties.forEach(ex::setProperty));
            failure = done.getException();
            if (failure == null) {
                unsettled.owesNothing(job.record);
                // before it leaves the running jobs: a revoke waiting for it then commits it
                job.progress.finish(job.record.offset());
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
                job.retry = runners().retries().schedule(() -> submit(job), pause, TimeUnit.MILLISECONDS);
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
        taken(job.source).decrementAndGet();
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

    private Runners runners() {
        Runners r = runners;
        if (r == null) {
            synchronized (this) {
                if (runners == null) {
                    ExecutorServiceManager executors = camel.getExecutorServiceManager();
                    runners = new Runners(executors.newFixedThreadPool(this, "SubmissionJobs", maxJobs),
                            executors.newSingleThreadScheduledExecutor(this, "SubmissionJobRetries"),
                            camel.createProducerTemplate());
                }
                r = runners;
            }
        }
        return r;
    }
}
