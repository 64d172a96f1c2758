package io.submissionrouter.job;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The fields of a job that its results echo whatever it becomes ({@code INVALID} and {@code DUPLICATE} too): its
 * {@code metadata} (CONTRACT 2: unchanged, in every result and in the completion record) and its {@code relay}. They
 * are bounded so that every such record fits its topic (CONTRACT 9.3): metadata to
 * {@code submission.limits.max-metadata-bytes} as the router writes it (JSON, UTF-8), checked before anything else;
 * a job over it is {@code INVALID} with {@code TOO_LARGE}, and its result echoes no metadata.
 */
public final class EchoedFields {

    /** The longest relay name a result echoes when it is not a configured group ({@code UNKNOWN_RELAY}). */
    public static final int MAX_ECHOED_RELAY_CHARS = 64;
    private static final Pattern RELAY = Pattern.compile("[a-z0-9]{1," + MAX_ECHOED_RELAY_CHARS + "}");

    private final ObjectMapper mapper;
    private final long maxMetadataBytes;
    private final Set<String> relays;

    /**
     * @param mapper           the mapper the records are written with, so a size measured here is the size written
     * @param maxMetadataBytes {@code submission.limits.max-metadata-bytes}
     * @param relays           the configured relay groups
     */
    public EchoedFields(ObjectMapper mapper, long maxMetadataBytes, Set<String> relays) {
        this.mapper = mapper;
        this.maxMetadataBytes = maxMetadataBytes;
        this.relays = Set.copyOf(relays);
    }

    /** Rejects a job whose metadata is larger than a result may echo. */
    public void check(EmailJob job) throws JobRejection {
        long bytes = metadataBytes(job.metadata());
        if (bytes > maxMetadataBytes) {
            throw new JobRejection(JobRejection.TOO_LARGE, "metadata takes " + bytes + " bytes as JSON, more than "
                    + "submission.limits.max-metadata-bytes (" + maxMetadataBytes + ")");
        }
    }

    /** The metadata a result of {@code job} echoes: none when it is over the bound (or the job could not be read). */
    public Map<String, String> metadata(EmailJob job) {
        return job == null || metadataBytes(job.metadata()) > maxMetadataBytes ? Map.of() : job.metadata();
    }

    /** The relay a result of {@code job} echoes: a configured group, or a short valid name; null otherwise. */
    public String relay(EmailJob job) {
        String relay = job == null ? null : job.relay();
        return relay != null && (relays.contains(relay) || RELAY.matcher(relay).matches()) ? relay : null;
    }

    /** Bytes of {@code metadata} as the router writes it in its records. */
    public long metadataBytes(Map<String, String> metadata) {
        try {
            return mapper.writeValueAsBytes(metadata).length;
        } catch (JsonProcessingException e) {
            return Long.MAX_VALUE; // a map of strings always serialises; were it not to, it could not be echoed
        }
    }
}
