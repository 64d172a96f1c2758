package io.submissionrouter.kafka;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.submissionrouter.config.SubmissionConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.camel.CamelContext;
import org.apache.camel.component.kafka.KafkaProducer;
import org.apache.camel.spi.ExecutorServiceManager;
import org.jboss.logging.Logger;

/**
 * Watches the producer of the router's Kafka writes ({@link WriteProducer}; issue 21, CONTRACT 9.5). Kafka answers
 * every send within the producer's {@code delivery.timeout.ms}, with an acknowledgement or an error, for as long as the
 * producer works (a broker outage is answered with errors: writes are refused, not unanswered). So:
 * <ul>
 * <li>a write unanswered for {@code submission.kafka.ack-timeout} makes the producer's writes <em>unanswered</em>: no
 * new SMTP session starts ({@link #unanswered()}), readiness and the health group {@code kafka-writes} are DOWN;</li>
 * <li>a producer whose network thread died, or with a write unanswered for {@code delivery.timeout.ms} after
 * {@code send()} returned (or stuck inside {@code send()} past {@code max.block.ms}) plus {@code ack-timeout}, has
 * stopped working: a new producer with the same settings takes its place in the write step (camel-kafka's producer
 * is handed it), every write it did not answer fails ({@link WriteUnanswered}; camel-kafka has no bound of its own on a
 * write's callback) and is retried on the new one (the records stay owed; nothing is sent again over SMTP), and it is
 * closed on a thread of its own. Sessions wait until the new producer answers a write;</li>
 * <li>a new producer that stops working too before it answered anything means the process cannot fix this by itself:
 * liveness goes DOWN ({@link #beyondRepair()}) so that Kubernetes restarts the pod.</li>
 * </ul>
 * Its rounds run on a scheduled pool from Camel's ExecutorServiceManager rather than a scheduler route: a write that
 * hangs during shutdown must still be bounded after the routes stopped.
 */
@ApplicationScoped
public class ProducerWatch {

    private static final Logger LOG = Logger.getLogger(ProducerWatch.class);

    private final Duration ackTimeout;
    private final MeterRegistry registry;
    private final CamelContext camel;
    private final List<WriteProducer> watched = new CopyOnWriteArrayList<>();
    private ScheduledExecutorService rounds;
    private ExecutorService closer;
    private volatile boolean unansweredLogged;
    /** Why putting a new producer in place did not make writes work again; null while it did (liveness). */
    private volatile String beyondRepair;

    public ProducerWatch(SubmissionConfig config, MeterRegistry registry, CamelContext camel) {
        this.ackTimeout = config.kafka().ackTimeout();
        this.registry = registry;
        this.camel = camel;
        Gauge.builder("submission.kafka.writes.unanswered", this, ProducerWatch::unansweredCount)
                .description("Writes the router's Kafka producers have neither acknowledged nor refused yet")
                .register(registry);
        Gauge.builder("submission.kafka.writes.oldest.unanswered.seconds", this, ProducerWatch::oldestSeconds)
                .description("How long the oldest write not answered yet has waited").register(registry);
    }

    /**
     * How long a working producer may take past one of its own bounds: delivery.timeout.ms (it reports a send within
     * that of send() returning) or max.block.ms (send() returns within that), plus ack-timeout.
     */
    Duration writeBound(Duration kafkaBound) {
        return kafkaBound.plus(ackTimeout);
    }

    synchronized void watch(WriteProducer producer) {
        watched.add(producer);
        if (rounds == null) {
            ExecutorServiceManager pools = camel.getExecutorServiceManager();
            rounds = pools.newSingleThreadScheduledExecutor(this, "KafkaProducerWatch");
            closer = pools.newSingleThreadExecutor(this, "KafkaProducerClose");
            long every = Math.max(50, Math.min(250, ackTimeout.toMillis() / 4));
            rounds.scheduleWithFixedDelay(this::round, every, every, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * The write step lets go of its producer (Camel stops it): one that works is flushed and closed here, one that
     * does not on a thread of its own.
     */
    synchronized void close(WriteProducer producer) {
        if (producer.successor() != null) {
            close(producer.successor()); // replaced as the step stopped: it is closed aside already, its successor here
            return;
        }
        watched.remove(producer);
        if (watched.isEmpty()) {
            beyondRepair = null; // the step let go of its producer: none is left to repair
        }
        ProducerGeneration g = producer.generation();
        long now = System.nanoTime();
        if (closer == null || broken(g, now) == null && unanswered(g, now) == null) {
            producer.close(producer.deliveryTimeout());
        } else {
            producer.retire("the router stops", null);
            closeAside(producer);
        }
    }

    /**
     * Closes it without waiting for anything: it may never answer again. Kafka's close joins the network thread
     * without a bound when that thread is stuck, so this runs on a pool thread of its own and nobody waits for it.
     */
    private void closeAside(WriteProducer p) {
        try {
            closer.execute(() -> {
                try {
                    p.close(Duration.ZERO);
                } catch (RuntimeException e) {
                    LOG.debugf(e, "closing Kafka producer %s", p.clientId());
                }
            });
        } catch (RejectedExecutionException e) {
            LOG.warnf("Kafka producer %s is left to the JVM's exit: Camel's pools are shut down", p.clientId());
        }
    }

    /**
     * Why the router's Kafka writes are not being answered now, so that no new SMTP session may start; else null. While
     * replacing the producer has not helped ({@link #beyondRepair()}), that holds too, until a producer answers.
     */
    public String unanswered() {
        if (beyondRepair != null) {
            return beyondRepair;
        }
        long now = System.nanoTime();
        for (WriteProducer p : watched) {
            String why = unanswered(p.generation(), now);
            if (why != null) {
                return why;
            }
        }
        return null;
    }

    /** Why replacing the producer did not make the writes work again (liveness DOWN); null while it did. */
    public String beyondRepair() {
        return beyondRepair;
    }

    private String unanswered(ProducerGeneration g, long now) {
        if (g.networkThreadDied()) {
            return "Kafka producer " + g.clientId() + " stopped working: its network thread died (it is being replaced)";
        }
        Duration oldest = g.oldestUnanswered(now);
        if (oldest.compareTo(ackTimeout) > 0) {
            return g.unansweredCount() + " writes of Kafka producer " + g.clientId() + " unanswered, the oldest for "
                    + seconds(oldest) + " (submission.kafka.ack-timeout " + seconds(ackTimeout) + ")";
        }
        if (g.replacement() && !g.answered() && (g.unansweredCount() > 0 || g.age(now).compareTo(ackTimeout) < 0)) {
            return "Kafka producer " + g.clientId() + " took the place of one that stopped working and has answered "
                    + "no write yet (" + g.unansweredCount() + " unanswered)";
        }
        return null;
    }

    /** Why {@code g} has stopped working, or null while it may still answer. */
    private String broken(ProducerGeneration g, long now) {
        if (g.networkThreadDied()) {
            return "its network thread " + ProducerGeneration.NETWORK_THREAD + g.clientId() + " died";
        }
        Duration overdue = g.overdue(now);
        if (overdue != null) {
            return g.unansweredCount() + " writes unanswered, one for " + seconds(overdue) + ", past its "
                    + "delivery.timeout.ms after send() returned (or its max.block.ms inside send()) and "
                    + "submission.kafka.ack-timeout (" + seconds(ackTimeout) + ")";
        }
        return null;
    }

    /** One round: each producer that stopped working is replaced; a change of state is logged once. */
    void round() {
        try {
            long now = System.nanoTime();
            for (WriteProducer p : watched) {
                ProducerGeneration g = p.generation();
                String broken = broken(g, now);
                if (broken != null) {
                    replace(p, broken);
                } else if (g.answered() && beyondRepair != null) {
                    beyondRepair = null;
                    LOG.infof("Kafka producer %s answers the router's writes: liveness is UP again", g.clientId());
                }
            }
            logChange();
        } catch (RuntimeException e) {
            LOG.error("The Kafka producer watch failed a round; it runs again", e);
        }
    }

    /**
     * Puts a new producer with the same settings in place of {@code p} in the write step; the writes {@code p} did
     * not answer fail ({@link WriteUnanswered}) and are retried on the new one.
     */
    private synchronized void replace(WriteProducer p, String why) {
        if (!watched.contains(p)) {
            return; // the step let go of it meanwhile (the router stops)
        }
        ProducerGeneration broken = p.generation();
        WriteProducer next;
        try {
            next = p.replacement();
        } catch (RuntimeException e) {
            beyondRepair = "Kafka producer " + p.clientId() + " stopped working (" + why
                    + ") and no new producer could be made: " + e;
            LOG.errorf(e, "%s; liveness is DOWN so that the pod is restarted", beyondRepair);
            return;
        }
        Counter.builder("submission.kafka.producer.replaced")
                .description("Kafka producers replaced because they stopped working (reason: thread_died, unanswered)")
                .tag("reason", broken.networkThreadDied() ? "thread_died" : "unanswered").register(registry)
                .increment();
        LOG.errorf("Kafka producer %s stopped working: %s. Replaced by %s; the %d writes it did not answer are written"
                + " again on it, and no new SMTP session starts until it answers.", p.clientId(), why,
                next.clientId(), broken.unansweredCount());
        if (broken.replacement() && !broken.answered()) {
            beyondRepair = "Kafka producer " + p.clientId() + ", put in place of one that stopped working, "
                    + "stopped working too before it answered any write (" + why + ")";
            LOG.errorf("%s: replacing the producer does not help, liveness is DOWN so that the pod is restarted",
                    beyondRepair);
        }
        watched.add(next);
        watched.remove(p);
        boolean handed = false;
        for (KafkaProducer step : camel.hasServices(KafkaProducer.class)) {
            if (step.getKafkaProducer() == p) {
                step.setKafkaProducer(next); // a plain field: a send that still reaches p goes on to next
                handed = true;
            }
        }
        if (!handed) {
            LOG.warnf("no Camel step holds Kafka producer %s: its writes go on to %s through it", p.clientId(),
                    next.clientId());
        }
        p.retire(why, next);
        closeAside(p);
    }

    private void logChange() {
        String why = unanswered();
        if (why != null && !unansweredLogged) {
            unansweredLogged = true;
            LOG.warnf("Kafka does not answer the router's writes: %s. No new SMTP session starts until it does.", why);
        } else if (why == null && unansweredLogged) {
            unansweredLogged = false;
            LOG.info("Kafka answers the router's writes again: SMTP sessions start again");
        }
    }

    private double unansweredCount() {
        return watched.stream().mapToInt(p -> p.generation().unansweredCount()).sum();
    }

    private double oldestSeconds() {
        long now = System.nanoTime();
        return watched.stream().mapToDouble(p -> p.generation().oldestUnanswered(now).toMillis() / 1000.0).max()
                .orElse(0);
    }

    private static String seconds(Duration d) {
        return String.format(Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
    }
}
