package io.submissionrouter.idempotency;

import io.quarkus.runtime.StartupEvent;
import io.submissionrouter.config.SubmissionConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.camel.CamelContext;
import org.apache.camel.component.kafka.KafkaComponent;
import org.apache.camel.component.kafka.KafkaConfiguration;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.jboss.logging.Logger;

/**
 * Starts the intake route only after the completed jobIds are loaded, so a restarted replica never
 * sends again what it (or another replica) already completed. The application itself starts at once
 * (live, not ready); loading runs in the background and is retried while Kafka cannot be reached.
 */
@ApplicationScoped
public class IntakeStarter {

    static final String INTAKE_ROUTE = "intake";
    private static final Logger LOG = Logger.getLogger(IntakeStarter.class);
    private static final Duration LOAD_TIMEOUT = Duration.ofMinutes(2);
    private static final Duration RETRY = Duration.ofSeconds(5);

    private final CamelContext camel;
    private final CompletedJobs completedJobs;
    private final String jobsTopic;

    public IntakeStarter(CamelContext camel, CompletedJobs completedJobs, SubmissionConfig config) {
        this.camel = camel;
        this.completedJobs = completedJobs;
        this.jobsTopic = config.topics().jobs();
    }

    void start(@Observes StartupEvent event) {
        Thread starter = new Thread(this::loadThenStartIntake, "intake-starter");
        starter.setDaemon(true);
        starter.start();
    }

    private void loadThenStartIntake() {
        // The router's Kafka settings, security included, as the Camel Kafka component has them.
        KafkaConfiguration kafka = camel.getComponent("kafka", KafkaComponent.class).getConfiguration();
        Properties client = kafka.createConsumerProperties();
        client.put("bootstrap.servers", kafka.getBrokers());
        while (!Thread.currentThread().isInterrupted()) {
            try {
                completedJobs.start(client, jobsPartitions(client), LOAD_TIMEOUT);
                camel.getRouteController().startRoute(INTAKE_ROUTE);
                LOG.infof("intake started on %s", jobsTopic);
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                LOG.warnf("cannot load the completed jobIds yet (%s); the intake waits, retrying in %s",
                        e.getMessage(), RETRY);
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

    private int jobsPartitions(Properties client) throws Exception {
        try (Admin admin = Admin.create(client)) {
            return admin.describeTopics(List.of(jobsTopic)).allTopicNames().get(30, TimeUnit.SECONDS)
                    .get(jobsTopic).partitions().size();
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return 1; // the jobs topic does not exist yet; the broker's default will apply to it
            }
            throw e;
        }
    }
}
