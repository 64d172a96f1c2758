package io.submissionrouter.intake;

import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.relay.RelayGroups;
import io.submissionrouter.retry.RetryTopics;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.camel.CamelContext;

/**
 * The retries routes, one per relay group ({@code retries-<relay>}), made from the route template {@code retries}
 * (routes/retries.yaml): each reads every retry tier and its group's waiting topic in a consumer group of its own,
 * {@code <submission.consumer.group-id>-retry-<relay>} (the group the hand-written retry consumers before issue 24
 * committed in, so a rolling update goes on from there). They are in the route group {@code jobs}, not started by
 * themselves.
 */
@ApplicationScoped
public class RetryRoutes {

    /** The route group of the routes that take jobs: the intake and the retries routes. */
    public static final String GROUP = "jobs";
    static final String TEMPLATE = "retries";

    private final CamelContext camel;
    private final RetryTopics topics;
    private final RelayGroups groups;
    private final SubmissionConfig config;

    public RetryRoutes(CamelContext camel, RetryTopics topics, RelayGroups groups, SubmissionConfig config) {
        this.camel = camel;
        this.topics = topics;
        this.groups = groups;
        this.config = config;
    }

    /** The route of {@code relay}'s retries. */
    public static String routeId(String relay) {
        return TEMPLATE + "-" + relay;
    }

    /** Adds the route of each relay group that has none yet (a call that failed part-way is completed by the next). */
    public synchronized void create() throws Exception {
        for (String relay : groups.names()) {
            if (camel.getRoute(routeId(relay)) != null) {
                continue;
            }
            List<String> read = new ArrayList<>(topics.tiers());
            read.add(topics.waitTopic(relay));
            camel.addRouteFromTemplate(routeId(relay), TEMPLATE, Map.of("relay", relay,
                    "topics", String.join(",", read), "groupId", DueRetries.groupId(config, relay)));
        }
    }
}
