package io.submissionrouter.control;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.Locale;

/**
 * An operator's command for one endpoint, as the control topic carries it (key {@code <relay>/<endpoint>},
 * compacted, so the last command per endpoint is what a starting replica finds).
 *
 * @param action   {@code suspend} or {@code resume}
 * @param until    end of a suspension; null for {@code resume}
 * @param issuedAt when the operator's call was taken
 * @param replica  the replica that took the call
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ControlCommand(Action action, String relay, String endpoint, Instant until, Instant issuedAt,
        String replica) {

    /** What the command does to the endpoint. */
    public enum Action {
        SUSPEND, RESUME;

        @com.fasterxml.jackson.annotation.JsonValue
        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The record key: one per endpoint. */
    public String key() {
        return relay + "/" + endpoint;
    }
}
