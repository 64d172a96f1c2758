package io.submissionrouter.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import io.submissionrouter.results.AttemptEvent;
import io.submissionrouter.results.DeliveryResult;
import io.submissionrouter.results.Status;
import io.submissionrouter.smtp.OutcomeClass;
import io.submissionrouter.smtp.SmtpStep;
import io.submissionrouter.testing.AsyncApi;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code docs/asyncapi.yaml} stays true to the code: the topics of CONTRACT 1, the fields of the records the
 * router writes, its enums, and the job schema it enforces. (The integration tests validate real records.)
 */
class AsyncApiDocumentTest {

    private final JsonNode doc = AsyncApi.document();

    @Test
    void describesTheContractTopicsAtTheirDefaultNames() {
        List<String> addresses = new ArrayList<>();
        doc.path("channels").forEach(c -> addresses.add(c.path("address").asText()));
        assertThat(doc.path("asyncapi").asText()).isEqualTo("3.0.0");
        assertThat(addresses).containsExactlyInAnyOrder("email.jobs", "email.results", "email.attempts", "email.dlq",
                "email.control");
        assertThat(doc.at("/operations/submitJob/action").asText()).isEqualTo("receive");
        assertThat(doc.at("/operations/publishResult/action").asText()).isEqualTo("send");
    }

    @Test
    void theJobPayloadIsTheSchemaTheRouterEnforces() throws Exception {
        String ref = doc.at("/components/messages/job/payload/$ref").asText();
        Path schemaFile = AsyncApi.DOCUMENT.getParent().resolve(ref).normalize();
        assertThat(schemaFile).isEqualTo(Path.of("src/main/resources/schema/email-job.schema.json"));
        try (InputStream in = Files.newInputStream(schemaFile)) {
            var schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in);
            for (JsonNode example : doc.at("/components/messages/job/examples")) {
                assertThat(schema.validate(example.path("payload"))).isEmpty();
            }
        }
    }

    @Test
    void resultAndAttemptSchemasNameExactlyTheFieldsTheRouterWrites() {
        assertThat(fieldNames("DeliveryResult")).isEqualTo(componentNames(DeliveryResult.class));
        assertThat(fieldNames("AttemptEvent")).isEqualTo(componentNames(AttemptEvent.class));
        assertThat(fieldNames("ControlCommand")).isEqualTo(componentNames(io.submissionrouter.control.ControlCommand.class));
    }

    @Test
    void enumsMatchTheCode() {
        assertThat(values("/components/schemas/DeliveryResult/properties/status/enum"))
                .isEqualTo(names(Status.values(), false));
        assertThat(values("/components/schemas/AttemptEvent/properties/outcome/enum"))
                .isEqualTo(names(OutcomeClass.values(), true));
        assertThat(values("/components/schemas/AttemptEvent/properties/step/enum"))
                .isEqualTo(names(SmtpStep.values(), true));
        Set<String> types = Stream.concat(Arrays.stream(Status.values()).map(Status::cloudEventType),
                Stream.of("email.submission.attempt")).collect(Collectors.toCollection(TreeSet::new));
        assertThat(values("/components/schemas/CloudEventHeaders/properties/ce_type/enum")).isEqualTo(types);
        assertThat(values("/components/schemas/ControlCommand/properties/action/enum")).isEqualTo(Arrays.stream(
                io.submissionrouter.control.ControlCommand.Action.values()).map(a -> a.wireName())
                .collect(Collectors.toCollection(TreeSet::new)));
    }

    @Test
    void everyExampleFitsItsSchema() {
        for (String message : List.of("result", "attempt", "controlCommand")) {
            String schema = doc.at("/components/messages/" + message + "/payload/$ref").asText().replace("#/components/schemas/", "");
            for (JsonNode example : doc.at("/components/messages/" + message + "/examples")) {
                assertThat(AsyncApi.validate(schema, example.path("payload"))).as(message).isEmpty();
            }
        }
    }

    @Test
    void aFieldTheDocumentDoesNotKnowIsRefused() {
        JsonNode example = doc.at("/components/messages/result/examples/0/payload").deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) example).put("smtpCod", 250);
        assertThat(AsyncApi.validate("DeliveryResult", example)).isNotEmpty();
    }

    private Set<String> fieldNames(String schema) {
        Set<String> names = new TreeSet<>();
        doc.at("/components/schemas/" + schema + "/properties").fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static Set<String> componentNames(Class<? extends Record> type) {
        return Arrays.stream(type.getRecordComponents()).map(c -> c.getName()).collect(Collectors.toCollection(TreeSet::new));
    }

    private Set<String> values(String pointer) {
        Set<String> values = new TreeSet<>();
        doc.at(pointer).forEach(v -> {
            if (!v.isNull()) {
                values.add(v.asText());
            }
        });
        return values;
    }

    private static Set<String> names(Enum<?>[] values, boolean lowerCase) {
        return Arrays.stream(values).map(v -> lowerCase ? v.name().toLowerCase(Locale.ROOT) : v.name())
                .collect(Collectors.toCollection(TreeSet::new));
    }
}
