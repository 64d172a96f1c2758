package io.submissionrouter.idempotency;

import io.quarkus.runtime.StartupEvent;
import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.control.EndpointControl;
import io.submissionrouter.kafka.KafkaClients;
import io.submissionrouter.kafka.Topics;
import io.submissionrouter.retry.RetryConsumers;
import io.submissionrouter.retry.RetryTopics;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.Properties;
import org.apache.camel.CamelContext;
import org.jboss.logging.Logger;

/**
 * Creates the retry tier and waiting topics, then starts the intake route and the retry consumer only
 * after the completed jobIds are loaded, so a restarted replica never sends again what it (or another
 * replica) already completed. The application itself starts at once
 * (live, not ready); loading runs in the background and is retried while Kafka cannot be reached.
 */
@ApplicationScoped
public class IntakeStarter {

    static final String INTAKE_ROUTE = "intake";
    static final String CONTROL_ROUTE = "endpoint-control";
    private static final Logger LOG = Logger.getLogger(IntakeStarter.class);
    private static final Duration LOAD_TIMEOUT = Duration.ofMinutes(2);
    private static final Duration RETRY = Duration.ofSeconds(5);

    private final CamelContext camel;
    private final CompletedJobs completedJobs;
    private final String jobsTopic;
    private final RetryTopics retryTopics;
    private final RetryConsumers retryConsumers;
    private final EndpointControl endpointControl;
    private final String controlTopic;

    public IntakeStarter(CamelContext camel, CompletedJobs completedJobs, SubmissionConfig config,
            RetryTopics retryTopics, RetryConsumers retryConsumers, EndpointControl endpointControl) {
        this.endpointControl = endpointControl;
        this.controlTopic = config.topics().control();
        this.camel = camel;
        this.completedJobs = completedJobs;
        this.retryTopics = retryTopics;
        this.retryConsumers = retryConsumers;
        this.jobsTopic = config.topics().jobs();
    }

    void start(@Observes StartupEvent event) {
        Thread starter = new Thread(this::loadThenStartIntake, "intake-starter");
        starter.setDaemon(true);
        starter.start();
    }

    private void loadThenStartIntake() {
        // The router's Kafka settings, security included, as the Camel Kafka component has them.
        Properties client = KafkaClients.consumer(camel);
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Topics.JobsTopic jobs = Topics.describeJobs(client, jobsTopic);
                retryTopics.create(client, jobs);
                completedJobs.start(client, jobs.partitions(), LOAD_TIMEOUT);
                // operator suspensions in force hold before the first job (routes/control.yaml)
                endpointControl.catchUp(client, controlTopic, LOAD_TIMEOUT);
                if (!camel.getRouteController().getRouteStatus(CONTROL_ROUTE).isStarted()) {
                    camel.getRouteController().startRoute(CONTROL_ROUTE);
                }
                camel.getRouteController().startRoute(INTAKE_ROUTE);
                retryConsumers.start(client);
                LOG.infof("intake started on %s", jobsTopic);
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                LOG.warnf("cannot start the intake yet: creating the router's topics (retry tiers, waiting, "
                        + "idempotency) or loading the completed jobIds failed (%s); retrying in %s", e.getMessage(),
                        RETRY);
                completedJobs.stop();
                sleep();
            }
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(RETRY.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
