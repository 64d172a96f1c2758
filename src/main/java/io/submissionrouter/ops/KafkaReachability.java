package io.submissionrouter.ops;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.submissionrouter.kafka.KafkaClients;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
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
 * The check runs on its own thread, so the probe answers at once.
 */
@ApplicationScoped
public class KafkaReachability {

    static final Duration INTERVAL = Duration.ofSeconds(2);
    static final Duration STALE = Duration.ofSeconds(6);
    private static final Logger LOG = Logger.getLogger(KafkaReachability.class);

    private final CamelContext camel;
    private ScheduledExecutorService scheduler;
    private Admin admin;
    private volatile long lastAnswerNanos;
    private volatile boolean answered;
    private volatile String lastError = "not asked yet";
    private boolean reportedUnreachable;

    public KafkaReachability(CamelContext camel) {
        this.camel = camel;
    }

    void start(@Observes StartupEvent event) {
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kafka-reachability");
            t.setDaemon(true);
            return t;
        });
        scheduler.scheduleWithFixedDelay(this::ask, 0, INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }

    void stop(@Observes ShutdownEvent event) {
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
        if (admin != null) {
            admin.close(Duration.ofSeconds(1));
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

    private void ask() {
        try {
            if (admin == null) {
                admin = Admin.create(adminProperties());
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
            lastError = e.getCause() != null ? e.getCause().toString() : e.toString();
            if (answered && !reachable() && !reportedUnreachable) {
                LOG.warnf("Kafka has not answered for %s (%s); not ready until it does", STALE, lastError);
                reportedUnreachable = true;
            }
        }
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
