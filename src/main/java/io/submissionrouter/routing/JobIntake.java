package io.submissionrouter.routing;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.idempotency.CompletedJobs;
import io.submissionrouter.idempotency.Completion;
import io.submissionrouter.job.EmailJob;
import io.submissionrouter.job.JobReader;
import io.submissionrouter.job.JobRejection;
import io.submissionrouter.job.JobValidator;
import io.submissionrouter.job.MessageIds;
import io.submissionrouter.job.MimeMessageFactory;
import io.submissionrouter.job.ValidJob;
import io.submissionrouter.retry.DeferredJob;
import io.submissionrouter.retry.RetryTiers;
import io.submissionrouter.smtp.SubmissionMessage;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import jakarta.mail.MessagingException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.component.kafka.consumer.KafkaManualCommit;

/**
 * Intake: reads a jobs-topic record, validates it and builds its MIME message. Every record leaves as a
 * {@link Delivery}, valid or {@code INVALID}; nothing a producer sends can make this step throw.
 */
@ApplicationScoped
@Named("jobIntake")
public class JobIntake {

    /** Exchange property holding the record's offset commit, saved before headers are cleared. */
    public static final String COMMIT = "kafkaCommit";

    private final JobReader reader;
    private final JobValidator validator;
    private final MimeMessageFactory mime = new MimeMessageFactory();
    private final SubmissionConfig config;

    private final CompletedJobs completedJobs;
    private final RetryTiers retryTiers;

    public JobIntake(ObjectMapper mapper, SubmissionConfig config, RelayGroups groups, CompletedJobs completedJobs,
            RetryTiers retryTiers) {
        this.completedJobs = completedJobs;
        this.retryTiers = retryTiers;
        this.reader = new JobReader(mapper);
        this.validator = new JobValidator(new JobValidator.Limits(config.limits().maxRecipients(),
                config.limits().maxAttachments(), config.limits().allowedFromDomains().orElse(Set.of())),
                config.defaultFrom(), groups.names());
        this.config = config;
    }

    /** A record of the jobs topic. */
    public void read(Exchange exchange) {
        Message in = exchange.getIn();
        exchange.setProperty(COMMIT, in.getHeader(KafkaConstants.MANUAL_COMMIT, KafkaManualCommit.class));
        start(exchange, deliveryOf(source(in), Instant.now(), null));
    }

    /**
     * A job back from a retry tier or waiting topic ({@link DeferredJob}, set by the retry consumer): read and
     * checked again like a new record (a jobId completed meanwhile is a {@code DUPLICATE}), then it goes on
     * from the state its last pass left, unless it outlived {@code submission.retry.max-age}.
     */
    public void resume(Exchange exchange) {
        DeferredJob job = exchange.getProperty(DeferredJob.PROPERTY, DeferredJob.class);
        Instant now = Instant.now();
        Delivery delivery = deliveryOf(job.source(), now, job.state());
        retryTiers.expireIfDue(delivery, now);
        start(exchange, delivery);
    }

    private static void start(Exchange exchange, Delivery delivery) {
        exchange.setProperty(Delivery.PROPERTY, delivery);
        exchange.setProperty("verdict", delivery.status() == null ? "valid" : "done");
        exchange.setProperty(EndpointSelector.NEXT, delivery.next().wireName());
    }

    /**
     * Reads, validates and builds the message; any failure becomes an INVALID delivery. {@code state} is
     * what an earlier pass left, or null for a new job.
     */
    Delivery deliveryOf(SourceRecord source, Instant now, DeferredState state) {
        EmailJob job = null;
        try {
            job = reader.read(source.value());
            Optional<Completion> completed = JobValidator.isValidJobId(job.jobId())
                    ? completedJobs.find(job.jobId()) : Optional.empty();
            if (completed.isPresent()) {
                return Delivery.duplicate(source, now, job.jobId(), job.relay(), job.metadata(), completed.get());
            }
            ValidJob valid = validator.validate(job);
            SubmissionMessage message = mime.create(valid,
                    MessageIds.of(job.jobId(), config.messageIdDomain()), config.limits().maxMessageBytes());
            return state == null ? Delivery.of(source, now, valid, message)
                    : Delivery.resumed(source, valid, message, state);
        } catch (JobRejection rejection) {
            return invalid(source, now, job, rejection);
        } catch (MessagingException | RuntimeException e) {
            return invalid(source, now, job, new JobRejection(JobRejection.INVALID_FIELD,
                    "the message cannot be built: " + e.getMessage()));
        }
    }

    private Delivery invalid(SourceRecord source, Instant now, EmailJob job, JobRejection rejection) {
        String jobId = job != null && JobValidator.isValidJobId(job.jobId())
                ? job.jobId() : reader.salvageJobId(source.value(), source.key());
        return Delivery.invalid(source, now, jobId, job == null ? null : job.relay(),
                job == null ? null : job.metadata(), rejection);
    }

    private static SourceRecord source(Message in) {
        Long timestamp = in.getHeader(KafkaConstants.TIMESTAMP, Long.class);
        return new SourceRecord(
                in.getHeader(KafkaConstants.TOPIC, String.class),
                in.getHeader(KafkaConstants.PARTITION, 0, Integer.class),
                in.getHeader(KafkaConstants.OFFSET, -1L, Long.class),
                timestamp == null ? Instant.now() : Instant.ofEpochMilli(timestamp),
                bytes(in.getHeader(KafkaConstants.KEY)),
                in.getBody(byte[].class),
                text(in.getHeader("traceparent")));
    }

    private static byte[] bytes(Object value) {
        if (value == null) {
            return null;
        }
        return value instanceof byte[] b ? b : value.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static String text(Object value) {
        byte[] b = bytes(value);
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }
}
