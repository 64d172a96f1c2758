package io.submissionrouter.intake;

import io.quarkus.runtime.ShutdownEvent;
import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.control.EndpointControl;
import io.submissionrouter.idempotency.CompletedJobs;
import io.submissionrouter.kafka.KafkaClients;
import io.submissionrouter.kafka.Topics;
import io.submissionrouter.ops.WorkOnCamelPool;
import io.submissionrouter.output.OutputTopics;
import io.submissionrouter.output.TopicTooSmallException;
import io.submissionrouter.relay.RelayGroups;
import io.submissionrouter.retry.RetryTopics;
import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import jakarta.interceptor.Interceptor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.spi.SupervisingRouteController;
import org.apache.camel.support.RoutePolicySupport;
import org.jboss.logging.Logger;

/**
 * The start of the route intake-starter (routes/periodic.yaml), its route policy: the start-up self-check, then the
 * topics the router writes (results, attempts, dead letters, retry tiers, waiting, idempotency) created or checked
 * (CONTRACT 9.3), the completed jobIds loaded and the operator suspensions read, then the routes that take jobs
 * started: endpoint-control, every route of the group {@value #JOBS_GROUP} but the intake (each relay group's retries,
 * made here from their template), and the intake last. So a restarted replica never sends again what it (or another
 * replica) already completed.
 * <p>
 * A failure fails the route's start, and Camel's supervising route controller ({@code camel.routecontroller.*} in
 * application.properties, which supervises that route alone) starts it again after its back-off, on its own thread.
 * The application meanwhile is live, not ready (the intake has not started). Camel starts the route once it has
 * started itself, so an attempt never starts a route that Camel would only mark started.
 * <p>
 * An attempt's preparations run on a thread of their own ({@code IntakeStarter}, from Camel's ExecutorServiceManager),
 * waited for until they end or the application stops: without Kafka they may take minutes, and Camel's shutdown would
 * wait for the route's start. The routes are started on the controller's thread, which holds Camel's lock on route
 * starts (a start from another thread would wait for it).
 */
@Singleton
@Named("intakeStarter")
public class IntakeStarter extends RoutePolicySupport {

    static final String INTAKE_ROUTE = "intake";
    static final String CONTROL_ROUTE = "endpoint-control";
    /** The route group of the routes that take jobs: started after endpoint-control, the intake last. */
    static final String JOBS_GROUP = "jobs";
    /** The route template of each relay group's retries route, {@code retries-<relay>} (routes/retries.yaml). */
    static final String RETRIES_TEMPLATE = "retries";
    private static final Logger LOG = Logger.getLogger(IntakeStarter.class);
    private static final Duration LOAD_TIMEOUT = Duration.ofMinutes(2);
    private static final Duration REFUSAL_LOG_EVERY = Duration.ofMinutes(1);

    private final CamelContext camel;
    private final CompletedJobs completedJobs;
    private final OutputTopics outputTopics;
    private final SubmissionConfig config;
    private final RetryTopics retryTopics;
    private final RelayGroups relayGroups;
    private final EndpointControl endpointControl;
    private final StartupCheck selfCheck;
    /** The last refusal logged, and when: the same one is logged at most once a minute. */
    private String lastRefusal;
    private long lastRefusalAt;
    private volatile boolean started;
    private volatile boolean stopped;
    /** Where attempts run; guarded by this. */
    private ExecutorService attempts;

    public IntakeStarter(CamelContext camel, CompletedJobs completedJobs, SubmissionConfig config,
            OutputTopics outputTopics, RetryTopics retryTopics, RelayGroups relayGroups,
            EndpointControl endpointControl, StartupCheck selfCheck) {
        this.endpointControl = endpointControl;
        this.camel = camel;
        this.completedJobs = completedJobs;
        this.outputTopics = outputTopics;
        this.config = config;
        this.retryTopics = retryTopics;
        this.relayGroups = relayGroups;
        this.selfCheck = selfCheck;
    }

    /**
     * One attempt, as the route intake-starter starts: returns once the intake has started, throws (the route does not
     * start, and the supervising route controller tries again after its back-off) otherwise. The preparations run on
     * the attempts' thread; the routes are started on this one, which holds Camel's lock on route starts.
     */
    @Override
    public void onStart(Route route) {
        if (started) {
            return;
        }
        Future<Properties> preparations;
        synchronized (this) {
            if (stopped) {
                throw new IllegalStateException("the application stops: the intake does not start");
            }
            if (attempts == null) {
                attempts = camel.getExecutorServiceManager().newSingleThreadExecutor(this, "IntakeStarter");
            }
            preparations = attempts.submit(this::prepare);
        }
        Throwable failure = WorkOnCamelPool.await(preparations, () -> stopped || camel.getStatus().isStopping());
        if (failure == null && preparations.isDone() && !stopped) {
            try {
                startRoutes(preparations.get());
                started = true;
                LOG.infof("intake started on %s", config.topics().jobs());
            } catch (Exception e) {
                failure = e;
                failed(e);
            }
        }
        if (!started) {
            throw new IllegalStateException("the intake has not started" + (failure == null ? ""
                    : ": " + failure.getMessage()) + "; retrying in " + retryDelay(), failure);
        }
        shutdownAttempts(); // none is needed any more
    }

    /** The supervising route controller's back-off (camel.routecontroller.back-off-delay): the one setting. */
    private Duration retryDelay() {
        return camel.getRouteController() instanceof SupervisingRouteController supervising
                ? Duration.ofMillis(supervising.getBackOffDelay()) : Duration.ZERO;
    }

    /**
     * Waits until Camel has started, and says whether it did before the application began to stop: a route started
     * while Camel is still starting is only marked started, and the intake would never run. The supervising route
     * controller starts its routes once Camel has started; this holds the rule where the start comes from elsewhere.
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

    /** True until the intake has started, or the application stops. */
    public boolean pending() {
        return !started && !stopped;
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
            attempts = null;
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

    /**
     * The self-check and the preparations: the Kafka client settings once they passed, or the failure (logged; the
     * idempotency tail stopped, the next attempt starts it again).
     */
    private Properties prepare() throws Exception {
        if (!pending()) {
            throw new IllegalStateException("the application stops"); // an attempt queued before the shutdown
        }
        try {
            // what a native image may leave out, tried before the first job is taken (an ERROR line naming it)
            selfCheck.verify();
            // The router's Kafka settings, security included, as the Camel Kafka component has them.
            Properties client = KafkaClients.consumer(camel);
            Topics.JobsTopic jobs = Topics.describeJobs(client, config.topics().jobs());
            outputTopics.prepare(client, jobs);
            completedJobs.start(client, jobs.partitions(), LOAD_TIMEOUT);
            // operator suspensions in force hold before the first job (routes/control.yaml)
            endpointControl.catchUp(client, config.topics().control(), LOAD_TIMEOUT);
            if (!awaitCamelStarted()) {
                throw new IllegalStateException("the application stops");
            }
            return client;
        } catch (Exception e) {
            failed(e);
            throw e;
        }
    }

    private void failed(Exception e) {
        if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
        } else if (e instanceof TopicTooSmallException tooSmall) {
            refused(tooSmall);
        } else if (!stopped) {
            LOG.warnf("cannot start the intake yet: creating the router's topics (results, attempts, dlq, retry "
                    + "tiers, waiting, idempotency), loading the completed jobIds or starting the routes failed (%s); "
                    + "retrying in %s", e.getMessage(), retryDelay());
        }
        completedJobs.stop();
    }

    /**
     * endpoint-control, then the routes of the group {@value #JOBS_GROUP} (the retries routes), the intake last:
     * what can still fail here (a consumer that cannot be created) fails the attempt before any job of the jobs topic
     * is taken. The routes of the group that did start are stopped again before the attempt fails: the attempt's
     * failure stops the idempotency tail, and no route may take jobs while the completed jobIds are not followed.
     */
    void startRoutes(Properties client) throws Exception {
        createRetryRoutes();
        List<String> jobs = new ArrayList<>();
        camel.getRoutes().stream().filter(r -> JOBS_GROUP.equals(r.getGroup()))
                .map(Route::getRouteId).filter(id -> !id.equals(INTAKE_ROUTE) && !id.equals(CONTROL_ROUTE))
                .forEach(jobs::add);
        jobs.add(INTAKE_ROUTE);
        startRoute(CONTROL_ROUTE);
        try {
            for (String id : jobs) {
                startRoute(id);
            }
        } catch (Exception e) {
            for (String id : jobs) {
                if (camel.getRouteController().getRouteStatus(id).isStarted()) {
                    camel.getRouteController().stopRoute(id);
                }
            }
            throw e;
        }
    }

    /**
     * Adds the retries route of each relay group that has none yet (an attempt that failed part-way is completed by
     * the next): it reads every retry tier and its group's waiting topic in the consumer group
     * {@code <submission.consumer.group-id>-retry-<relay>}, the one the hand-written retry consumers before issue 24
     * committed in, so a rolling update goes on from there.
     */
    synchronized void createRetryRoutes() throws Exception {
        for (String relay : relayGroups.names()) {
            String id = RETRIES_TEMPLATE + "-" + relay;
            if (camel.getRoute(id) == null) {
                List<String> read = new ArrayList<>(retryTopics.tiers());
                read.add(retryTopics.waitTopic(relay));
                camel.addRouteFromTemplate(id, RETRIES_TEMPLATE, Map.of("relay", relay, "topics",
                        String.join(",", read), "groupId", config.consumer().groupId() + "-retry-" + relay));
            }
        }
    }

    private void startRoute(String id) throws Exception {
        if (!camel.getRouteController().getRouteStatus(id).isStarted()) {
            camel.getRouteController().startRoute(id);
        }
        if (!camel.getRouteController().getRouteStatus(id).isStarted()) {
            throw new IllegalStateException("Camel did not start the route " + id);
        }
    }
}
