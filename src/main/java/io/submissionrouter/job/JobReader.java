package io.submissionrouter.job;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidDefinitionException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.stream.Collectors;

/**
 * Reads the bytes of a jobs-topic record into an {@link EmailJob}, checked against its JSON Schema ({@link JobSchema}).
 * Total: any input yields a job or a {@link JobRejection}, so bad input never stalls a partition; only when Jackson
 * cannot bind {@link EmailJob} at all (the router's fault) does it throw {@link RouterFault}, which the intake retries.
 */
public final class JobReader {

    private final ObjectMapper mapper;
    private final JobSchema schema = new JobSchema();

    public JobReader(ObjectMapper mapper) {
        this.mapper = mapper.copy()
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
    }

    /** Parses a record value. */
    public EmailJob read(byte[] value) throws JobRejection {
        if (value == null || value.length == 0) {
            throw new JobRejection(JobRejection.MALFORMED_JSON, "the record has no value");
        }
        JsonNode node;
        try {
            node = mapper.readTree(value);
        } catch (IOException e) {
            throw new JobRejection(JobRejection.MALFORMED_JSON, "the record value is not JSON: " + firstLine(e));
        }
        if (node == null || !node.isObject()) {
            throw new JobRejection(JobRejection.MALFORMED_JSON, "the record value must be a JSON object");
        }
        schema.check(node);
        try {
            return mapper.treeToValue(node, EmailJob.class);
        } catch (InvalidDefinitionException e) {
            throw new RouterFault(EmailJob.class, e);
        } catch (MismatchedInputException e) {
            throw new JobRejection(JobRejection.INVALID_FIELD, fieldPath(e) + " has the wrong type: " + firstLine(e));
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new JobRejection(JobRejection.MALFORMED_JSON, "the job cannot be read: " + firstLine(e));
        }
    }

    /**
     * The jobId of a record that could not be read as a job: the {@code jobId} field when it is a valid
     * one, else the record key when that is; null when neither is.
     */
    public String salvageJobId(byte[] value, byte[] key) {
        try {
            JsonNode node = value == null ? null : mapper.readTree(value);
            if (node != null && node.isObject() && node.path("jobId").isTextual()
                    && JobValidator.isValidJobId(node.get("jobId").asText())) {
                return node.get("jobId").asText();
            }
        } catch (IOException | RuntimeException ignored) {
            // not JSON: fall back to the key
        }
        String k = key == null ? null : new String(key, StandardCharsets.UTF_8);
        return k != null && JobValidator.isValidJobId(k) ? k : null;
    }

    private static String fieldPath(JsonMappingException e) {
        String path = e.getPath().stream()
                .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining(".")).replace(".[", "[");
        return path.isEmpty() ? "the job" : path;
    }

    private static String firstLine(Exception e) {
        String m = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
        if (m == null) {
            return e.getClass().getSimpleName();
        }
        int nl = m.indexOf('\n');
        String line = nl < 0 ? m : m.substring(0, nl);
        return line.length() > 200 ? line.substring(0, 200) : line;
    }
}
