package io.submissionrouter.idempotency;

import io.quarkus.runtime.ShutdownEvent;
import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.control.EndpointControl;
import io.submissionrouter.kafka.KafkaClients;
import io.submissionrouter.kafka.Topics;
import io.submissionrouter.ops.WorkOnCamelPool;
import io.submissionrouter.results.OutputTopics;
import io.submissionrouter.results.TopicTooSmallException;
import io.submissionrouter.retry.RetryRoutes;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Named;
import jakarta.interceptor.Interceptor;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import org.apache.camel.CamelContext;
import org.jboss.logging.Logger;

/**
 * Creates the topics the router writes (results, attempts, dead letters, retry tiers, waiting, idempotency) sized for
 * what a job can lead to, checks those that exist take that much (CONTRACT 9.3), then starts the routes that take jobs
 * (the route group {@code jobs}: the intake and each relay group's retries) only
 * after the completed jobIds are loaded, so a restarted replica never sends again what it (or another
 * replica) already completed. The application itself starts at once
 * (live, not ready); loading runs in the background and is retried while Kafka cannot be reached: the route
 * intake-starter (routes/periodic.yaml) makes an attempt at startup and then {@link #RETRY} after each failed one.
 * <p>
 * An attempt runs on a thread of its own from Camel's ExecutorServiceManager ({@code IntakeStarter}), and the route
 * waits for it: while Kafka cannot be reached an attempt may take minutes (the clients' timeouts, the closing of an
 * admin client with calls pending), and a shutdown meanwhile stops waiting at once instead of holding Camel's
 * shutdown until then. The attempt is left to end by itself on its daemon thread, quietly.
 */
@ApplicationScoped
@Named("intakeStarter")
public class IntakeStarter {

    static final String INTAKE_ROUTE = "intake";
    static final String CONTROL_ROUTE = "endpoint-control";
    private static final Logger LOG = Logger.getLogger(IntakeStarter.class);
    private static final Duration LOAD_TIMEOUT = Duration.ofMinutes(2);
    /** The pause after a failed attempt: the delay of the route intake-starter (routes/periodic.yaml). */
    private static final Duration RETRY = Duration.ofSeconds(5);

    private final CamelContext camel;
    private final CompletedJobs completedJobs;
    private final String jobsTopic;
    private final OutputTopics outputTopics;
    private final RetryRoutes retryRoutes;
    private final EndpointControl endpointControl;
    private final String controlTopic;
    private static final Duration REFUSAL_LOG_EVERY = Duration.ofMinutes(1);
    /** The last refusal logged, and when: the same one is logged at most once a minute. */
    private String lastRefusal;
    private long lastRefusalAt;
    private volatile boolean started;
    private volatile boolean stopped;
    /** Where attempts run; guarded by this. */
    private ExecutorService attempts;

    public IntakeStarter(CamelContext camel, CompletedJobs completedJobs, SubmissionConfig config,
            OutputTopics outputTopics, RetryRoutes retryRoutes, EndpointControl endpointControl) {
        this.endpointControl = endpointControl;
        this.controlTopic = config.topics().control();
        this.camel = camel;
        this.completedJobs = completedJobs;
        this.outputTopics = outputTopics;
        this.retryRoutes = retryRoutes;
        this.jobsTopic = config.topics().jobs();
    }

    /** True until the intake has started, or the application stops: the route intake-starter's condition. */
    public boolean pending() {
        return !started && !stopped;
    }

    /**
     * Waits until Camel has started, and says whether it did before the application began to stop. The first attempt
     * runs as Camel starts (the route's first poll is at once), and a route started while Camel is still starting is
     * only marked started: Camel starts routes once it is started itself, and the intake would never run.
     */
    boolean awaitCamelStarted() throws InterruptedException {
        while (!camel.getStatus().isStarted()) {
            if (stopped || camel.getStatus().isStopping()) {
                return false;
            }
            Thread.sleep(20);
        }
        return !stopped;
    }

    /**
     * One attempt to start the intake (the route intake-starter), waited for until it ends or the application stops:
     * a failure is logged and the idempotency tail stopped, and the route tries again {@link #RETRY} later.
     */
    public void attempt() {
        Future<?> attempt;
        synchronized (this) {
            if (!pending()) {
                return;
            }
            if (attempts == null) {
                attempts = camel.getExecutorServiceManager().newSingleThreadExecutor(this, "IntakeStarter");
            }
            attempt = attempts.submit(this::loadThenStartIntake);
        }
        Throwable failure = WorkOnCamelPool.await(attempt, () -> stopped);
        if (failure != null) {
            LOG.errorf(failure, "the attempt to start the intake failed unexpectedly; retrying in %s", RETRY);
        }
        if (started) {
            shutdownAttempts(); // none is needed any more
        }
    }

    /**
     * No attempt follows, and the one under way (if any) is no longer waited for: it ends by itself, quietly. Observed
     * before the other beans stop (CompletedJobs among them), so that an attempt they make fail knows why.
     */
    void onShutdown(@Observes @Priority(Interceptor.Priority.APPLICATION) ShutdownEvent event) {
        stopped = true;
        shutdownAttempts();
    }

    /** Lets the thread end after the attempt in hand, without interrupting it; Camel has nothing left to stop. */
    private synchronized void shutdownAttempts() {
        if (attempts != null) {
            camel.getExecutorServiceManager().shutdown(attempts);
        }
    }

    /**
     * A topic takes smaller records than a job within the limits leads to (CONTRACT 9.3): the intake does not start,
     * and the line naming the topic is logged at the first attempt and then once a minute (every attempt fails alike
     * until an operator raises the topic's max.message.bytes, and the next attempt then starts the intake).
     */
    private void refused(TopicTooSmallException e) {
        long now = System.nanoTime();
        if (!e.getMessage().equals(lastRefusal) || now - lastRefusalAt > REFUSAL_LOG_EVERY.toNanos()) {
            LOG.errorf("the intake does not start: %s", e.getMessage());
            lastRefusal = e.getMessage();
            lastRefusalAt = now;
        }
    }

    private void loadThenStartIntake() {
        if (!pending()) {
            return; // an attempt queued behind one that started the intake, or after the application began to stop
        }
        // The router's Kafka settings, security included, as the Camel Kafka component has them.
        Properties client = KafkaClients.consumer(camel);
        try {
            Topics.JobsTopic jobs = Topics.describeJobs(client, jobsTopic);
            outputTopics.prepare(client, jobs);
            completedJobs.start(client, jobs.partitions(), LOAD_TIMEOUT);
            // operator suspensions in force hold before the first job (routes/control.yaml)
            endpointControl.catchUp(client, controlTopic, LOAD_TIMEOUT);
            if (!awaitCamelStarted()) {
                completedJobs.stop();
                return; // the application stops: its intake does not start now
            }
            if (!camel.getRouteController().getRouteStatus(CONTROL_ROUTE).isStarted()) {
                camel.getRouteController().startRoute(CONTROL_ROUTE);
            }
            // the routes that take jobs, route group jobs: intake and retries-<relay> (made from their template here)
            retryRoutes.create();
            camel.getRouteController().startRouteGroup(RetryRoutes.GROUP);
            for (String route : new String[] {CONTROL_ROUTE, INTAKE_ROUTE}) {
                if (!camel.getRouteController().getRouteStatus(route).isStarted()) {
                    throw new IllegalStateException("Camel did not start the route " + route);
                }
            }
            started = true;
            LOG.infof("intake started on %s", jobsTopic);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            } else if (e instanceof TopicTooSmallException tooSmall) {
                refused(tooSmall);
            } else if (!stopped) {
                LOG.warnf("cannot start the intake yet: creating the router's topics (results, attempts, dlq, retry "
                        + "tiers, waiting, idempotency) or loading the completed jobIds failed (%s); retrying in %s",
                        e.getMessage(), RETRY);
            }
            completedJobs.stop();
        }
    }
}
