package io.submissionrouter.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/** The AsyncAPI document of the router ({@code docs/asyncapi.yaml}) and its component schemas, for tests. */
public final class AsyncApi {

    public static final Path DOCUMENT = Path.of("docs/asyncapi.yaml");
    private static final ObjectMapper YAML = new YAMLMapper();
    private static final JsonNode ROOT = read();

    private AsyncApi() {
    }

    public static JsonNode document() {
        return ROOT.deepCopy();
    }

    /** What {@code value} breaks of the component schema {@code name} (empty when it conforms). */
    public static Set<ValidationMessage> validate(String name, JsonNode value) {
        ObjectNode schema = YAML.createObjectNode();
        schema.put("$schema", "https://json-schema.org/draft/2020-12/schema");
        schema.set("components", ROOT.path("components").deepCopy());
        schema.put("$ref", "#/components/schemas/" + name);
        JsonSchema compiled = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(schema);
        return compiled.validate(value);
    }

    /** A record's headers as a JSON object of strings, to validate against a headers schema. */
    public static JsonNode headers(ConsumerRecord<byte[], byte[]> record) {
        Map<String, String> headers = new TreeMap<>();
        for (Header h : record.headers()) {
            headers.put(h.key(), h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8));
        }
        return YAML.valueToTree(headers);
    }

    private static JsonNode read() {
        try {
            return YAML.readTree(DOCUMENT.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
