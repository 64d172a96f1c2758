package io.submissionrouter.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Comparator;
import java.util.Set;

/**
 * The job's JSON Schema ({@code schema/email-job.schema.json}, shipped for producers), enforced by a real
 * validator (networknt json-schema-validator, draft 2020-12). The first violation becomes a rejection with
 * the stable code of CONTRACT 2 and a message that names the field; the checks a schema cannot express
 * (addresses, header safety, limits, configured relays) follow in {@link JobValidator}.
 */
public final class JobSchema {

    public static final String RESOURCE = "schema/email-job.schema.json";

    /** Same input, same first error: by place in the job, then by keyword. */
    private static final Comparator<ValidationMessage> ORDER = Comparator
            .comparing((ValidationMessage m) -> m.getInstanceLocation().toString())
            .thenComparing(ValidationMessage::getType)
            .thenComparing(m -> m.getEvaluationPath().toString());

    private final JsonSchema schema;

    public JobSchema() {
        try (InputStream in = JobSchema.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the classpath");
            }
            schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Rejects a job that violates the schema. */
    public void check(JsonNode job) throws JobRejection {
        Set<ValidationMessage> errors = schema.validate(job);
        if (!errors.isEmpty()) {
            throw rejection(errors.stream().min(ORDER).orElseThrow());
        }
    }

    private static JobRejection rejection(ValidationMessage m) {
        String where = field(m.getInstanceLocation().toString());
        String evaluated = m.getEvaluationPath().toString();
        if (evaluated.startsWith("$.anyOf")) {
            return new JobRejection(JobRejection.MISSING_FIELD, "at least one of text and html is required");
        }
        if (evaluated.startsWith("$.allOf")) {
            return new JobRejection(JobRejection.MISSING_FIELD, "at least one recipient in to, cc or bcc is required");
        }
        if (where.equals("metadata") || where.startsWith("metadata.")) {
            // every result echoes the metadata: more than the schema allows is a size, not a shape, problem
            if (Set.of("maxProperties", "maxLength", "propertyNames").contains(m.getType())) {
                return new JobRejection(JobRejection.TOO_LARGE, where + ": " + m.getMessage());
            }
        }
        return switch (m.getType()) {
            case "required" -> new JobRejection(JobRejection.MISSING_FIELD,
                    (where.isEmpty() ? "" : where + ".") + m.getProperty() + " is required");
            case "type" -> new JobRejection(JobRejection.INVALID_FIELD, where + " has the wrong type: " + m.getMessage());
            case "propertyNames" -> new JobRejection(JobRejection.INVALID_HEADER,
                    where + ": a name is not a valid header field name (RFC 5322 3.6.8): " + m.getMessage());
            case "pattern" -> new JobRejection(JobRejection.INVALID_FIELD, switch (where) {
                case "jobId" -> "jobId must be 1 to 200 printable ASCII characters without spaces";
                case "relay" -> "relay must match [a-z0-9]+";
                default -> where + " does not match its pattern";
            });
            case "minLength" -> new JobRejection(JobRejection.MISSING_FIELD, where + " is required (empty)");
            default -> new JobRejection(JobRejection.INVALID_FIELD, where + ": " + m.getMessage());
        };
    }

    /** {@code $.attachments[0].filename} as results name it: {@code attachments[0].filename}. */
    private static String field(String instanceLocation) {
        return instanceLocation.startsWith("$.") ? instanceLocation.substring(2)
                : instanceLocation.equals("$") ? "" : instanceLocation;
    }
}
