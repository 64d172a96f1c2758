package io.submissionrouter.admin;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import io.quarkus.runtime.configuration.DurationConverter;
import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.control.ControlCommand;
import io.submissionrouter.control.EndpointControl;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.camel.ProducerTemplate;
import org.jboss.logging.Logger;

/**
 * The operator endpoints (CONTRACT 7): bearer-token protected ({@code submission.admin.token}), and absent
 * (404) when no token is set.
 */
@Path("/admin")
@Startup // a weak token stops start-up, naming its setting
@Produces(MediaType.APPLICATION_JSON)
public class AdminResource {

    private static final Logger LOG = Logger.getLogger(AdminResource.class);
    /** At most one WARN line a minute about refused tokens (the counter counts every one). */
    private static final long REFUSAL_LOG_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final AdminToken token;
    private final DlqReplay replay;
    private final EndpointControl control;
    private final ProducerTemplate producer;
    private final Counter refusals;
    private final AtomicLong lastRefusalLogged = new AtomicLong(System.nanoTime() - REFUSAL_LOG_EVERY_NANOS);
    private final AtomicLong lastOffLogged = new AtomicLong(System.nanoTime() - REFUSAL_LOG_EVERY_NANOS);

    public AdminResource(SubmissionConfig config, DlqReplay replay, EndpointControl control,
            ProducerTemplate producer, MeterRegistry registry) {
        this.token = new AdminToken(config.admin().token(), config.admin().tokenFile());
        this.replay = replay;
        this.control = control;
        this.producer = producer;
        this.refusals = Counter.builder("submission.admin.refused")
                .description("Requests to the operator endpoints refused for a missing or wrong bearer token")
                .register(registry);
    }

    /** Every relay group's endpoints with breaker state (or suspension) and counters, as this replica has them. */
    @GET
    @Path("/endpoints")
    public Response endpoints(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization) {
        Response refused = authorize(authorization);
        return refused != null ? refused : Response.ok(control.view()).build();
    }

    /**
     * Takes an endpoint out of rotation for {@code for} (such as {@code 30m}, {@code 2h} or {@code PT90M}), as an
     * open breaker would; every replica applies it through the control topic.
     */
    @POST
    @Path("/endpoints/{relay}/{endpoint}/suspend")
    public Response suspend(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @PathParam("relay") String relay, @PathParam("endpoint") String endpoint,
            @QueryParam("for") String duration) {
        Response refused = authorize(authorization);
        if (refused != null) {
            return refused;
        }
        Duration d = positiveDuration(duration);
        if (d == null) {
            return badRequest("for must be a positive duration such as 30m, 2h or PT90M");
        }
        return command(relay, endpoint, () -> control.suspension(relay, endpoint, d));
    }

    /** Puts a suspended endpoint back into rotation, in every replica. */
    @POST
    @Path("/endpoints/{relay}/{endpoint}/resume")
    public Response resume(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @PathParam("relay") String relay, @PathParam("endpoint") String endpoint) {
        Response refused = authorize(authorization);
        return refused != null ? refused : command(relay, endpoint, () -> control.resumption(relay, endpoint));
    }

    /**
     * Writes the command to the control topic (routes/control.yaml) and applies it here at once; the other
     * replicas apply it as they read it. Answers with the endpoint as this replica now has it.
     */
    private Response command(String relay, String endpoint, Supplier<ControlCommand> command) {
        ControlCommand c;
        try {
            c = command.get();
        } catch (IllegalArgumentException e) {
            return Response.status(Response.Status.NOT_FOUND)
                    .entity(Map.of("error", "no endpoint " + relay + "/" + endpoint
                            + "; relay groups have a primary and a fallback")).build();
        }
        producer.requestBody("direct:endpoint-command", c);
        control.apply(c, Instant.now());
        EndpointControl.EndpointView view = control.view().stream()
                .filter(v -> v.relay().equals(relay) && v.endpoint().equals(endpoint)).findFirst().orElseThrow();
        return Response.ok(Map.of("command", c, "endpoint", view)).build();
    }

    /** {@code 30m}, {@code 2h}, {@code PT90M} as in Quarkus settings; null when not a positive duration. */
    private static Duration positiveDuration(String text) {
        try {
            Duration d = text == null || text.isBlank() ? null : DurationConverter.parseDuration(text.strip());
            return d == null || d.isNegative() || d.isZero() ? null : d;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static Response badRequest(String message) {
        return Response.status(Response.Status.BAD_REQUEST).entity(Map.of("error", message)).build();
    }

    /**
     * Replays dead letters into the jobs topic (addition). Query parameters, all optional and combined:
     * {@code errorCode} (repeatable, e.g. {@code RETRIES_EXHAUSTED}), {@code jobId} (repeatable), {@code since}
     * (ISO-8601 time of the dead letter), {@code dryRun=true} (report what would be replayed), {@code limit} (records
     * replayed at most, {@value DlqReplay#DEFAULT_LIMIT} by default). Only what can succeed is replayed (see
     * {@link DlqReplay}).
     */
    @POST
    @Path("/dlq/replay")
    public Response replayDlq(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @QueryParam("errorCode") List<String> errorCodes, @QueryParam("jobId") List<String> jobIds,
            @QueryParam("since") String since, @QueryParam("dryRun") boolean dryRun,
            @QueryParam("limit") Integer limit) throws Exception {
        Response refused = authorize(authorization);
        if (refused != null) {
            return refused;
        }
        Instant from;
        try {
            from = since == null || since.isBlank() ? null : Instant.parse(since);
        } catch (DateTimeParseException e) {
            return badRequest("since must be an ISO-8601 time such as 2026-11-27T10:00:00Z");
        }
        int most = limit == null ? DlqReplay.DEFAULT_LIMIT : limit;
        if (most < 1 || most > DlqReplay.MAX_LIMIT) {
            return badRequest("limit must be between 1 and " + DlqReplay.MAX_LIMIT);
        }
        try {
            return Response.ok(replay.replay(new DlqReplay.Request(errorCodes, jobIds, from, dryRun, most))).build();
        } catch (IllegalArgumentException tooWide) {
            return badRequest(tooWide.getMessage());
        } catch (IllegalStateException unread) {
            return Response.status(Response.Status.SERVICE_UNAVAILABLE).entity(Map.of("error", unread.getMessage()))
                    .build();
        }
    }

    private Response authorize(String authorization) {
        if (!token.configured()) {
            return Response.status(Response.Status.NOT_FOUND).build();
        }
        java.util.Optional<String> current = token.current();
        if (current.isEmpty()) {
            long now = System.nanoTime();
            long last = lastOffLogged.get();
            if (now - last >= REFUSAL_LOG_EVERY_NANOS && lastOffLogged.compareAndSet(last, now)) {
                LOG.info("the operator endpoints are off: submission.admin.token-file is not there, cannot be read or "
                        + "holds a weak token (at least " + AdminToken.MIN_LENGTH + " characters, not a placeholder)");
            }
            return Response.status(Response.Status.NOT_FOUND).build();
        }
        String presented = authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
                ? authorization.substring("Bearer ".length()).trim() : "";
        if (!AdminToken.same(presented, current.get())) {
            refusals.increment();
            long now = System.nanoTime();
            long last = lastRefusalLogged.get();
            if (now - last >= REFUSAL_LOG_EVERY_NANOS && lastRefusalLogged.compareAndSet(last, now)) {
                LOG.warnf("an operator request was refused: %s bearer token (submission_admin_refused_total counts "
                        + "every one)", authorization == null ? "no" : "a wrong");
            }
            return Response.status(Response.Status.UNAUTHORIZED).header(HttpHeaders.WWW_AUTHENTICATE, "Bearer")
                    .entity(Map.of("error", "a valid bearer token (submission.admin.token) is required")).build();
        }
        return null;
    }
}
