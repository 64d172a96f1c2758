package io.submissionrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.submissionrouter.testing.RouterTestBase;
import io.submissionrouter.testing.RouterTestResources;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.camel.CamelContext;
import org.apache.camel.component.kafka.KafkaEndpoint;
import org.apache.camel.component.kafka.PollOnError;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupListing;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** How the router's Kafka consumers are set up, where a wrong setting would lose or skip jobs. */
@QuarkusTest
class KafkaConsumersTest extends RouterTestBase {

    @Inject
    CamelContext camel;

    @Test
    void aFailedPollReconnectsAndReadsFromTheCommittedOffsetsInsteadOfSkippingARecord() {
        // Camel's default (ERROR_HANDLER) seeks every partition one record further after a failed poll, such as a
        // rebalance callback that could not read the idempotency topic: a job would be skipped, never answered
        // the retries routes are made as the intake starts (after the completed jobIds are loaded), before the intake
        Awaitility.await().atMost(Duration.ofSeconds(60))
                .until(() -> camel.getRouteController().getRouteStatus("intake").isStarted());
        for (String route : new String[] {"intake", "endpoint-control", "retries-default", "retries-bulk"}) {
            KafkaEndpoint endpoint = (KafkaEndpoint) camel.getRoute(route).getEndpoint();
            assertThat(endpoint.getConfiguration().getPollOnError()).as(route).isEqualTo(PollOnError.RECONNECT);
        }
    }

    @Test
    void eachRelayGroupsRetriesHaveAConsumerGroupOfTheirOwnAndNoneUsesTheGroupOfEarlierVersions() throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", RouterTestResources.kafka().bootstrapServers()))) {
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> groups(admin).containsAll(Set.of(
                    "smtp-submission-router-retry-default", "smtp-submission-router-retry-bulk",
                    "smtp-submission-router-retry-faults", "smtp-submission-router-retry-implicit")));
            // the single retry consumer of earlier versions used this group; nothing uses it any more
            assertThat(groups(admin)).doesNotContain("smtp-submission-router-retry");
        }
    }

    private static Set<String> groups(Admin admin) throws Exception {
        return admin.listConsumerGroups().all().get().stream().map(ConsumerGroupListing::groupId)
                .collect(Collectors.toSet());
    }
}
