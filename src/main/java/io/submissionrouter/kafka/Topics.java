package io.submissionrouter.kafka;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.jboss.logging.Logger;

/**
 * The topics the router writes (results, attempts, dead letters, idempotency, retry tiers, waiting topics): created
 * at startup when missing, with as many partitions as the jobs topic and up to three replicas. Existing topics are
 * left as they are; what they take ({@code max.message.bytes}) is read so it can be checked.
 */
public final class Topics {

    private static final Logger LOG = Logger.getLogger(Topics.class);
    private static final long TIMEOUT_SECONDS = 30;

    /** What the router knows of the jobs topic when it creates its own. */
    public record JobsTopic(int partitions, Optional<String> maxMessageBytes) {
    }

    private Topics() {
    }

    /** Partitions and {@code max.message.bytes} of the jobs topic; one partition and the broker default if it is missing. */
    public static JobsTopic describeJobs(Properties client, String topic) throws Exception {
        try (Admin admin = Admin.create(client)) {
            int partitions = admin.describeTopics(List.of(topic)).allTopicNames().get(TIMEOUT_SECONDS, TimeUnit.SECONDS)
                    .get(topic).partitions().size();
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            Config config = admin.describeConfigs(List.of(resource)).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS)
                    .get(resource);
            ConfigEntry max = config == null ? null : config.get("max.message.bytes");
            return new JobsTopic(partitions, Optional.ofNullable(max == null ? null : max.value()));
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return new JobsTopic(1, Optional.empty());
            }
            throw e;
        }
    }

    /**
     * The {@code max.message.bytes} of each of {@code topics} that exists, as the broker applies it (the topic's own,
     * or the broker's default); a topic that does not exist is left out.
     */
    public static Map<String, Long> maxMessageBytes(Properties client, Collection<String> topics) throws Exception {
        Map<String, Long> found = new LinkedHashMap<>();
        try (Admin admin = Admin.create(client)) {
            Map<ConfigResource, KafkaFuture<Config>> configs = admin.describeConfigs(topics.stream()
                    .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).toList()).values();
            for (Map.Entry<ConfigResource, KafkaFuture<Config>> e : configs.entrySet()) {
                try {
                    ConfigEntry max = e.getValue().get(TIMEOUT_SECONDS, TimeUnit.SECONDS)
                            .get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
                    if (max != null && max.value() != null) {
                        found.put(e.getKey().name(), Long.parseLong(max.value()));
                    }
                } catch (ExecutionException missing) {
                    if (!(missing.getCause() instanceof UnknownTopicOrPartitionException)) {
                        throw missing;
                    }
                }
            }
        }
        return found;
    }

    /**
     * What a topic created without {@code max.message.bytes} takes: the {@code message.max.bytes} of a broker (what
     * the jobs topic takes when it does not exist yet, as producers will have it created).
     */
    public static long brokerMaxMessageBytes(Properties client) throws Exception {
        try (Admin admin = Admin.create(client)) {
            String broker = String.valueOf(admin.describeCluster().nodes().get(TIMEOUT_SECONDS, TimeUnit.SECONDS)
                    .iterator().next().id());
            ConfigResource resource = new ConfigResource(ConfigResource.Type.BROKER, broker);
            ConfigEntry max = admin.describeConfigs(List.of(resource)).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS)
                    .get(resource).get("message.max.bytes");
            return Long.parseLong(max.value());
        }
    }

    /**
     * Raises {@code max.message.bytes} of {@code topic} to {@code bytes} (a topic the router created itself, sized by an
     * earlier version for smaller records); false, with a WARN line, when Kafka does not let it (no ALTER_CONFIGS).
     */
    public static boolean raiseMaxMessageBytes(Properties client, String topic, long from, long bytes) {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        AlterConfigOp raise = new AlterConfigOp(new ConfigEntry(TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                String.valueOf(bytes)), AlterConfigOp.OpType.SET);
        try (Admin admin = Admin.create(client)) {
            admin.incrementalAlterConfigs(Map.of(resource, List.of(raise))).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            LOG.infof("raised max.message.bytes of the router's own topic %s from %d to %d bytes", topic, from, bytes);
            return true;
        } catch (ExecutionException | TimeoutException e) {
            LOG.warnf("cannot raise max.message.bytes of %s to %d (%s)", topic, bytes,
                    e.getCause() == null ? e.toString() : e.getCause().toString());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The topic id of {@code topic} (a topic deleted and made again under its name has a new one). */
    public static String topicId(Properties client, String topic) {
        try (Admin admin = Admin.create(client)) {
            return admin.describeTopics(List.of(topic)).allTopicNames().get(TIMEOUT_SECONDS, TimeUnit.SECONDS)
                    .get(topic).topicId().toString();
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Kafka did not describe " + topic, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Creates each topic that does not exist yet, with {@code configs}; replicas: min(3, brokers). One that exists is
     * not asked for, so a principal that may not create topics works with topics made beforehand.
     */
    public static void ensure(Properties client, List<String> names, int partitions, Map<String, String> configs) {
        try (Admin admin = Admin.create(client)) {
            int brokers = admin.describeCluster().nodes().get(TIMEOUT_SECONDS, TimeUnit.SECONDS).size();
            short replicas = (short) Math.min(3, Math.max(1, brokers));
            Set<String> existing = admin.listTopics().names().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            for (String name : names.stream().filter(n -> !existing.contains(n)).toList()) {
                try {
                    admin.createTopics(List.of(new NewTopic(name, partitions, replicas).configs(configs))).all()
                            .get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                    LOG.infof("created topic %s (%d partitions, %d replicas, %s)", name, partitions, replicas, configs);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create topic " + name, e.getCause());
                    }
                }
            }
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Kafka did not answer while creating " + names, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
