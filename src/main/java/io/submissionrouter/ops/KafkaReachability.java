package io.submissionrouter.ops;

import io.quarkus.runtime.ShutdownEvent;
import io.submissionrouter.kafka.KafkaClients;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Named;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.camel.CamelContext;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.jboss.logging.Logger;

/**
 * Whether the Kafka cluster answers, for readiness (CONTRACT 7: "the Kafka consumer is connected"). A consumer
 * whose brokers are gone keeps polling and reports nothing, so a small admin client asks the cluster to describe
 * itself every {@link #INTERVAL}; the cluster counts as unreachable once no answer came for {@link #STALE}.
 * The check runs on a thread of its own, Camel's (the route kafka-reachability, routes/periodic.yaml, calls
 * {@link #ask} at startup and then {@link #INTERVAL} after each question ended), so the probe answers at once.
 */
@ApplicationScoped
@Named("kafkaReachability")
public class KafkaReachability {

    static final Duration INTERVAL = Duration.ofSeconds(2);
    static final Duration STALE = Duration.ofSeconds(6);
    private static final Logger LOG = Logger.getLogger(KafkaReachability.class);

    private final CamelContext camel;
    /** Created by the first question, closed on shutdown; guarded by this. */
    private Admin admin;
    private volatile boolean stopped;
    private volatile long lastAnswerNanos;
    private volatile boolean answered;
    private volatile String lastError = "not asked yet";
    private boolean reportedUnreachable;

    public KafkaReachability(CamelContext camel) {
        this.camel = camel;
    }

    /** No question is asked after this; the admin client is closed. */
    void stop(@Observes ShutdownEvent event) {
        Admin a;
        synchronized (this) {
            stopped = true;
            a = admin;
            admin = null;
        }
        if (a != null) {
            a.close(Duration.ofSeconds(1));
        }
    }

    /** True while the cluster answered within the last {@link #STALE}. */
    public boolean reachable() {
        return answered && System.nanoTime() - lastAnswerNanos < STALE.toNanos();
    }

    /** Why the cluster counts as unreachable (the last failure), for the health data. */
    public String lastError() {
        return lastError;
    }

    /**
     * Asks the cluster once (at most {@code 2 × INTERVAL}): the route kafka-reachability (routes/periodic.yaml) calls
     * it at startup and then {@link #INTERVAL} after each question ended. Nothing once shutting down.
     */
    public void ask() {
        if (stopped) {
            return;
        }
        try {
            Admin admin = admin();
            if (admin == null) {
                return; // shutting down
            }
            int nodes = admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) INTERVAL.toMillis()))
                    .nodes().get(INTERVAL.toMillis() * 2, TimeUnit.MILLISECONDS).size();
            if (reportedUnreachable) {
                LOG.infof("Kafka answers again (%d brokers); ready", nodes);
                reportedUnreachable = false;
            }
            lastAnswerNanos = System.nanoTime();
            answered = true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            if (stopped) {
                return; // the admin client was closed under the question
            }
            lastError = e.getCause() != null ? e.getCause().toString() : e.toString();
            if (answered && !reachable() && !reportedUnreachable) {
                LOG.warnf("Kafka has not answered for %s (%s); not ready until it does", STALE, lastError);
                reportedUnreachable = true;
            }
        }
    }

    private synchronized Admin admin() {
        if (admin == null && !stopped) {
            admin = Admin.create(adminProperties());
        }
        return admin;
    }

    /** Brokers and security of the router's Kafka component; nothing a consumer or producer alone would take. */
    private Properties adminProperties() {
        Properties all = KafkaClients.consumer(camel);
        Properties admin = new Properties();
        all.stringPropertyNames().stream()
                .filter(k -> k.equals(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG) || k.startsWith("security.")
                        || k.startsWith("ssl.") || k.startsWith("sasl."))
                .forEach(k -> admin.put(k, all.get(k)));
        admin.put(CommonClientConfigs.CLIENT_ID_CONFIG, "smtp-submission-router-reachability");
        return admin;
    }
}
