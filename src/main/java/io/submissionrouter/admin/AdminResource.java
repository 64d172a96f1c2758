package io.submissionrouter.admin;

import io.submissionrouter.config.SubmissionConfig;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The operator endpoints (CONTRACT 7): bearer-token protected ({@code submission.admin.token}), and absent
 * (404) when no token is set.
 */
@Path("/admin")
@Produces(MediaType.APPLICATION_JSON)
public class AdminResource {

    private final Optional<String> token;
    private final DlqReplay replay;

    public AdminResource(SubmissionConfig config, DlqReplay replay) {
        this.token = config.admin().token().filter(t -> !t.isBlank());
        this.replay = replay;
    }

    /**
     * Replays dead letters into the jobs topic (addition). Query parameters, all optional and combined:
     * {@code errorCode} (repeatable, e.g. {@code RETRIES_EXHAUSTED}), {@code jobId} (repeatable), {@code since}
     * (ISO-8601 time of the dead letter), {@code dryRun=true} (report what would be replayed).
     */
    @POST
    @Path("/dlq/replay")
    public Response replayDlq(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @QueryParam("errorCode") List<String> errorCodes, @QueryParam("jobId") List<String> jobIds,
            @QueryParam("since") String since, @QueryParam("dryRun") boolean dryRun) throws Exception {
        Response refused = authorize(authorization);
        if (refused != null) {
            return refused;
        }
        Instant from;
        try {
            from = since == null || since.isBlank() ? null : Instant.parse(since);
        } catch (DateTimeParseException e) {
            return Response.status(Response.Status.BAD_REQUEST)
                    .entity(Map.of("error", "since must be an ISO-8601 time such as 2026-11-27T10:00:00Z")).build();
        }
        return Response.ok(replay.replay(new DlqReplay.Request(errorCodes, jobIds, from, dryRun))).build();
    }

    private Response authorize(String authorization) {
        if (token.isEmpty()) {
            return Response.status(Response.Status.NOT_FOUND).build();
        }
        String presented = authorization != null && authorization.startsWith("Bearer ")
                ? authorization.substring("Bearer ".length()).trim() : "";
        if (!MessageDigest.isEqual(presented.getBytes(StandardCharsets.UTF_8),
                token.get().getBytes(StandardCharsets.UTF_8))) {
            return Response.status(Response.Status.UNAUTHORIZED).header(HttpHeaders.WWW_AUTHENTICATE, "Bearer")
                    .entity(Map.of("error", "a valid bearer token (submission.admin.token) is required")).build();
        }
        return null;
    }
}
