package io.submissionrouter.routing;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.idempotency.CompletedJob;
import io.submissionrouter.idempotency.CompletedJobs;
import io.submissionrouter.idempotency.Completion;
import io.submissionrouter.job.EchoedFields;
import io.submissionrouter.job.EmailJob;
import io.submissionrouter.job.JobReader;
import io.submissionrouter.job.JobRejection;
import io.submissionrouter.job.JobValidator;
import io.submissionrouter.job.MessageIds;
import io.submissionrouter.job.MimeMessageFactory;
import io.submissionrouter.job.ValidJob;
import io.submissionrouter.results.DeliveryResults;
import io.submissionrouter.results.OutputTopics;
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
import org.apache.camel.ExchangeProperty;
import org.apache.camel.Message;
import org.apache.camel.component.kafka.KafkaConstants;

/**
 * Intake: reads a jobs-topic record, validates it and builds its MIME message. Every record leaves as a
 * {@link Delivery}, valid or {@code INVALID}; nothing a producer sends can make this step throw. Only the record's
 * key and value are input (CONTRACT 8.2): of its headers, only {@code traceparent} is read, and the route removes
 * them all right after this step.
 * <p>
 * A record read again is not always a new job: a pass of this replica whose writes failed is found in
 * {@link UnsettledPasses} and only writes what it still owes; a job whose completion names this very record (the
 * pass that completed it did not get to commit) is not sent again.
 */
@ApplicationScoped
@Named("jobIntake")
public class JobIntake {

    private final JobReader reader;
    private final JobValidator validator;
    private final EchoedFields echoed;
    private final OutputTopics outputTopics;
    private final MimeMessageFactory mime = new MimeMessageFactory();
    private final SubmissionConfig config;
    private final long jobTimeoutNanos;

    private final CompletedJobs completedJobs;
    private final RetryTiers retryTiers;
    private final UnsettledPasses unsettled;
    private final DeliveryResults results;

    public JobIntake(ObjectMapper mapper, SubmissionConfig config, RelayGroups groups, CompletedJobs completedJobs,
            RetryTiers retryTiers, UnsettledPasses unsettled, DeliveryResults results, OutputTopics outputTopics) {
        this.outputTopics = outputTopics;
        this.echoed = new EchoedFields(mapper, config.limits().maxMetadataBytes(), groups.names());
        this.completedJobs = completedJobs;
        this.retryTiers = retryTiers;
        this.unsettled = unsettled;
        this.results = results;
        this.reader = new JobReader(mapper);
        this.validator = new JobValidator(new JobValidator.Limits(config.limits().maxRecipients(),
                config.limits().maxAttachments(), config.limits().allowedFromDomains().orElse(Set.of())),
                config.defaultFrom(), groups.names());
        this.config = config;
        this.jobTimeoutNanos = config.consumer().jobTimeout().toNanos();
    }

    /**
     * The pass of a job of the jobs topic (its record taken by the intake), on a thread of the jobs pool: the pass
     * kept for {@code record} if one is still unsettled (it only writes what it owes), else a new pass of the job
     * read and validated from {@code source}.
     */
    public Delivery read(@ExchangeProperty(JobProperties.SOURCE) SourceRecord source,
            @ExchangeProperty(JobProperties.RECORD) RecordRef record) {
        Delivery unsettledPass = unsettled.find(record);
        return start(unsettledPass != null ? unsettledPass : deliveryOf(source, Instant.now(), null));
    }

    /**
     * The pass of a job back from a retry tier or waiting topic ({@code job}, handed over by the retry consumer with
     * the tier {@code record}): read and checked again like a new record (a jobId completed meanwhile by another
     * record is a {@code DUPLICATE}), then it goes on from the state its last pass left, unless it outlived
     * {@code submission.retry.max-age}.
     */
    public Delivery resume(@ExchangeProperty(JobProperties.DEFERRED_JOB) DeferredJob job,
            @ExchangeProperty(JobProperties.RECORD) RecordRef record) {
        Delivery unsettledPass = unsettled.find(record);
        if (unsettledPass != null) {
            return start(unsettledPass);
        }
        Instant now = Instant.now();
        Delivery delivery = deliveryOf(job.source(), now, job.state());
        retryTiers.expireIfDue(delivery, now);
        return start(delivery);
    }

    private Delivery start(Delivery delivery) {
        if (delivery.message() != null) {
            // the sessions of this pass end by then, so a poll's jobs never outlast max.poll.interval
            delivery.message().deadline(System.nanoTime() + jobTimeoutNanos);
        }
        return delivery;
    }

    /**
     * Reads, validates and builds the message; any failure of the input becomes an INVALID delivery. {@code state}
     * is what an earlier pass left, or null for a new job. Reading a completion record fails the exchange (the
     * record is read again), never the job.
     */
    Delivery deliveryOf(SourceRecord source, Instant now, DeferredState state) {
        EmailJob job = null;
        try {
            job = reader.read(source.value());
            echoed.check(job); // first: a result echoes the metadata whatever the job becomes, DUPLICATE too
        } catch (JobRejection rejection) {
            return invalid(source, now, job, rejection);
        } catch (RuntimeException e) {
            return invalid(source, now, job, new JobRejection(JobRejection.MALFORMED_JSON, e.getMessage()));
        }
        Optional<CompletedJob> completed = JobValidator.isValidJobId(job.jobId())
                ? completedJobs.find(job.jobId()) : Optional.empty();
        DeferredState from = state;
        if (completed.isPresent()) {
            CompletedJob c = completed.get();
            Optional<Completion> full = c.sameJobRecord(RecordRef.of(source)) && (c.done() || state == null)
                    ? completedJobs.fetch(c) : Optional.empty();
            if (!c.sameJobRecord(RecordRef.of(source)) || c.done() && (full.isEmpty() || full.get().result() == null)) {
                return Delivery.duplicate(source, now, job.jobId(), echoed.relay(job), job.metadata(), c);
            }
            if (c.done()) {
                Delivery ended = Delivery.ended(source, now, job.jobId(), echoed.relay(job), job.metadata(),
                        c.status());
                results.logReplay(ended, c);
                return DeliveryResults.replay(ended, full.get().result());
            }
            if (from == null) {
                // the job's own record read again after a server accepted it for some recipients: it goes on
                // from its completion, or (if that cannot be read) is sent to nobody again
                from = full.map(Completion::state).orElse(null);
                if (from == null) {
                    return Delivery.duplicate(source, now, job.jobId(), echoed.relay(job), job.metadata(), c);
                }
            }
        }
        return validated(source, now, job, from);
    }

    /**
     * The job validated, checked against what the topics take (its records must all be writable: CONTRACT 9.3), and
     * its message built; or INVALID. {@code from} is where an earlier pass left it, or null.
     */
    private Delivery validated(SourceRecord source, Instant now, EmailJob job, DeferredState from) {
        try {
            ValidJob valid = validator.validate(job);
            outputTopics.check(valid, source);
            SubmissionMessage message = mime.create(valid,
                    MessageIds.of(job.jobId(), config.messageIdDomain()), config.limits().maxMessageBytes());
            return from == null ? Delivery.of(source, now, valid, message)
                    : Delivery.resumed(source, valid, message, from);
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
        return Delivery.invalid(source, now, jobId, echoed.relay(job), echoed.metadata(job), rejection);
    }

    /**
     * What a record of the jobs topic brings (CONTRACT 8.2): its key, value, coordinates and time, and its
     * {@code traceparent}; no other header.
     */
    public static SourceRecord source(Message in) {
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
