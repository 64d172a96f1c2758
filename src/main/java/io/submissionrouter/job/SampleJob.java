package io.submissionrouter.job;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;

/**
 * The router's own job, valid by construction and with every part a message can have (inline image, attachment,
 * header, metadata, Reply-To, an internationalised Cc domain, a UTF-8 Bcc local part). When a job fails where no check
 * names and this job fails too, the fault is the router's ({@link RouterFault}): in a native image, something left
 * out of the registrations. {@code StartupSelfCheck} builds it at start-up for the same reason.
 */
public final class SampleJob {

    /** A 1x1 PNG. */
    private static final String PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

    static final byte[] JSON = ("{\"jobId\":\"router-sample-job\",\"from\":\"Router <router@sample.invalid>\","
            + "\"replyTo\":\"help@sample.invalid\",\"to\":[\"Ada <ada@sample.invalid>\"],"
            + "\"cc\":[\"Bücher <b@bücher.invalid>\"],\"bcc\":[\"jörg@sample.invalid\"],"
            + "\"subject\":\"Sample: ä\",\"text\":\"Hello, ä\","
            + "\"html\":\"<p>Hello</p><img src=\\\"cid:pixel\\\">\",\"headers\":{\"X-Sample\":\"yes\"},"
            + "\"attachments\":[{\"filename\":\"pixel.png\",\"contentType\":\"image/png\",\"contentBase64\":\"" + PIXEL
            + "\",\"contentId\":\"pixel\"},{\"filename\":\"note.txt\",\"contentType\":\"text/plain\","
            + "\"contentBase64\":\"aGVsbG8=\"}],\"metadata\":{\"sample\":\"yes\"}}").getBytes(StandardCharsets.UTF_8);

    private static final JobValidator VALIDATOR = new JobValidator(new JobValidator.Limits(10, 10, Set.of()),
            Optional.empty(), Set.of(EmailJob.DEFAULT_RELAY));

    private SampleJob() {
    }

    /** Reads, validates and builds the sample job as every job is; throws what fails. */
    public static void build(JobReader reader, MimeMessageFactory mime) throws Exception {
        ValidJob valid = VALIDATOR.validate(reader.read(JSON));
        mime.create(valid, MessageIds.of(valid.job().jobId(), "sample.invalid"), 1 << 20); // encodes it, too
    }

    /**
     * {@code failure} of a job as the router's fault when the sample job fails too, else empty (the job's own fault).
     */
    public static Optional<RouterFault> routerFault(JobReader reader, MimeMessageFactory mime, String what,
            Exception failure) {
        try {
            build(reader, mime);
            return Optional.empty();
        } catch (Exception sampleFailure) {
            RouterFault fault = new RouterFault(what, failure);
            fault.addSuppressed(sampleFailure);
            return Optional.of(fault);
        }
    }
}
