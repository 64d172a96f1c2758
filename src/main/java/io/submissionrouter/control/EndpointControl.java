package io.submissionrouter.control;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidDefinitionException;
import io.submissionrouter.job.RouterFault;
import io.submissionrouter.kafka.Topics;
import io.submissionrouter.relay.Breaker;
import io.submissionrouter.relay.Endpoint;
import io.submissionrouter.relay.RelayGroups;
import io.submissionrouter.relay.SubmissionMetrics;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.camel.Body;
import org.apache.camel.Header;
import org.apache.camel.Message;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

/**
 * Operator control of the endpoints (CONTRACT 7): a suspension takes an endpoint out of rotation as an open
 * breaker would, until its time is up or it is resumed. A command is written to the control topic by the
 * replica that took the call (routes/control.yaml) and applied by every replica as it reads the topic, its own
 * included; a starting replica reads the topic from the beginning, so suspensions in force hold for it too.
 */
@ApplicationScoped
@Named("endpointControl")
public class EndpointControl {

    private static final Logger LOG = Logger.getLogger(EndpointControl.class);

    /** This run of the router, named in the commands it writes. */
    private final String replica = UUID.randomUUID().toString();
    private final RelayGroups groups;
    private final ObjectMapper mapper;
    private final SubmissionMetrics metrics;

    public EndpointControl(RelayGroups groups, ObjectMapper mapper, SubmissionMetrics metrics) {
        this.groups = groups;
        this.mapper = mapper;
        this.metrics = metrics;
    }

    /**
     * Creates the control topic when missing (compacted, one partition: commands stay in order) and applies
     * every command on it, up to its end: run at startup, before the intake takes jobs.
     */
    public void catchUp(Properties client, String topic, Duration timeout) {
        Topics.ensure(client, List.of(topic), 1, Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, "compact"));
        Properties c = new Properties();
        c.putAll(client);
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        int applied = 0;
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c, new StringDeserializer(),
                new StringDeserializer())) {
            List<TopicPartition> partitions = List.of(new TopicPartition(topic, 0));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
            Instant deadline = Instant.now().plus(timeout);
            while (end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("the control topic " + topic + " could not be read within "
                            + timeout);
                }
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    applyRecord(r.key(), r.value());
                    applied++;
                }
            }
        }
        LOG.infof("control topic %s read: %d commands", topic, applied);
    }

    /** A suspension of {@code relay}/{@code endpoint} for {@code duration} from now, to be written. */
    public ControlCommand suspension(String relay, String endpoint, Duration duration) {
        groups.endpoint(relay, endpoint);
        Instant now = Instant.now();
        return new ControlCommand(ControlCommand.Action.SUSPEND, relay, endpoint, now.plus(duration), now, replica);
    }

    /** A resumption of {@code relay}/{@code endpoint}, to be written. */
    public ControlCommand resumption(String relay, String endpoint) {
        groups.endpoint(relay, endpoint);
        return new ControlCommand(ControlCommand.Action.RESUME, relay, endpoint, null, Instant.now(), replica);
    }

    /** Shapes the control record of the command in the body: key {@code relay/endpoint}, JSON value. */
    public void record(@Body ControlCommand command, Message record) throws IOException {
        record.setHeader(KafkaConstants.KEY, command.key().getBytes(StandardCharsets.UTF_8));
        record.setBody(mapper.writeValueAsBytes(command));
    }

    /**
     * Applies a control record read from the topic. A record this version cannot read, or for an endpoint
     * this replica does not have, is logged and skipped: it must not stop the control consumer.
     */
    public void applyRecord(@Header(KafkaConstants.KEY) String key, @Body String value) {
        if (value == null) {
            return; // a tombstone
        }
        ControlCommand command;
        try {
            command = mapper.readValue(value, ControlCommand.class);
        } catch (InvalidDefinitionException e) {
            throw new RouterFault(ControlCommand.class, e);
        } catch (IOException e) {
            LOG.warnf("control record %s skipped: not a command (%s)", key, e.getMessage());
            return;
        }
        if (command.action() == null || command.relay() == null || command.endpoint() == null) {
            LOG.warnf("control record %s skipped: action, relay and endpoint are required", key);
            return;
        }
        apply(command, Instant.now());
    }

    /** Applies {@code command}; a suspension that has ended already changes nothing. */
    public void apply(ControlCommand command, Instant now) {
        Endpoint endpoint;
        try {
            endpoint = groups.endpoint(command.relay(), command.endpoint());
        } catch (IllegalArgumentException e) {
            LOG.warnf("control command for %s skipped: this replica has no such endpoint", command.key());
            return;
        }
        boolean suspend = command.action() == ControlCommand.Action.SUSPEND;
        boolean changed = switch (command.action()) {
            case SUSPEND -> command.until() != null && endpoint.breaker().suspend(command.until(), now);
            case RESUME -> endpoint.breaker().resume();
        };
        if (changed) {
            metrics.control(command.relay(), command.endpoint(), command.action().wireName());
            LOG.warnf("endpoint %s (%s:%d) %s by an operator%s (command taken at %s by replica %s)", command.key(),
                    endpoint.spec().host(), endpoint.spec().port(), suspend ? "suspended" : "resumed",
                    suspend ? " until " + command.until() : "", command.issuedAt(), command.replica());
        }
    }

    /** Every relay group's endpoints with their state and counters, for {@code GET /admin/endpoints}. */
    public List<EndpointView> view() {
        return groups.all().stream().map(EndpointView::of).toList();
    }

    /** One endpoint as an operator sees it. */
    public record EndpointView(String relay, String endpoint, String host, int port, String tls, String state,
            int stateCode, Instant suspendedUntil, float failureRate, int bufferedCalls, int failedCalls,
            long notPermittedCalls, int openSessions) {

        static EndpointView of(Endpoint e) {
            Breaker b = e.breaker();
            Breaker.Counters c = b.counters();
            return new EndpointView(e.relay(), e.name(), e.spec().host(), e.spec().port(),
                    e.spec().tls().name().toLowerCase(java.util.Locale.ROOT), b.stateName(), b.stateCode(),
                    b.suspendedUntil().orElse(null), c.failureRate(), c.bufferedCalls(), c.failedCalls(),
                    c.notPermittedCalls(), e.submitter().openSessions());
        }
    }
}
