package io.submissionrouter.routing;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.idempotency.CompletedJobs;
import io.submissionrouter.job.EchoedFields;
import io.submissionrouter.job.EmailJob;
import io.submissionrouter.job.JobProperties;
import io.submissionrouter.job.JobReader;
import io.submissionrouter.job.JobRejection;
import io.submissionrouter.job.JobValidator;
import io.submissionrouter.job.MessageIds;
import io.submissionrouter.job.MimeMessageFactory;
import io.submissionrouter.job.RouterFault;
import io.submissionrouter.job.SampleJob;
import io.submissionrouter.job.ValidJob;
import io.submissionrouter.output.OutputTopics;
import io.submissionrouter.pass.CompletedJob;
import io.submissionrouter.pass.DeferredState;
import io.submissionrouter.pass.Pass;
import io.submissionrouter.pass.PassConcluder;
import io.submissionrouter.pass.RecordRef;
import io.submissionrouter.pass.SourceRecord;
import io.submissionrouter.pass.UnsettledPasses;
import io.submissionrouter.relay.RelayGroups;
import io.submissionrouter.retry.DeferredJob;
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
 * {@link Pass}, valid or {@code INVALID}; nothing a producer sends can make this step throw. Only the record's key,
 * value and {@code traceparent} header are input (CONTRACT 8.2). A record read again is not always a new job: a pass
 * whose writes failed is found in {@link UnsettledPasses}; a job that has a completion is handled by
 * {@link AlreadyCompleted}.
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
    private final PassConcluder results;
    private final AlreadyCompleted alreadyCompleted;

    public JobIntake(ObjectMapper mapper, SubmissionConfig config, RelayGroups groups, CompletedJobs completedJobs,
            RetryTiers retryTiers, UnsettledPasses unsettled, PassConcluder results, OutputTopics outputTopics) {
        this.outputTopics = outputTopics;
        this.echoed = new EchoedFields(mapper, config.limits().maxMetadataBytes(), groups.names());
        this.completedJobs = completedJobs;
        this.alreadyCompleted = new AlreadyCompleted(completedJobs);
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

    /** The pass of a jobs-topic record: the one still unsettled for {@code record}, else a new one. */
    public Pass read(@ExchangeProperty(JobProperties.SOURCE) SourceRecord source,
            @ExchangeProperty(JobProperties.RECORD) RecordRef record) {
        Pass unsettledPass = unsettled.find(record);
        return start(unsettledPass != null ? unsettledPass : passOf(source, record, Instant.now(), null));
    }

    /**
     * The pass of a job back from a retry tier or waiting topic: checked again like a new record (completed meanwhile
     * by another record: {@code DUPLICATE}), then it goes on from the state its last pass left, unless it outlived
     * {@code submission.retry.max-age}.
     */
    public Pass resume(@ExchangeProperty(JobProperties.DEFERRED_JOB) DeferredJob job,
            @ExchangeProperty(JobProperties.RECORD) RecordRef record) {
        Pass unsettledPass = unsettled.find(record);
        if (unsettledPass != null) {
            return start(unsettledPass);
        }
        Instant now = Instant.now();
        Pass pass = passOf(job.source(), record, now, job.state());
        retryTiers.expireIfDue(pass, now);
        return start(pass);
    }

    private Pass start(Pass pass) {
        if (pass.message() != null) {
            // the sessions of this pass end by then, so a poll's jobs never outlast max.poll.interval
            pass.message().deadline(System.nanoTime() + jobTimeoutNanos);
        }
        return pass;
    }

    /**
     * Reads, validates and builds the message; any failure of the input becomes an INVALID pass. {@code state} is
     * what an earlier pass left (null: a new job). Failing to read a completion record fails the exchange, not the job.
     */
    Pass passOf(SourceRecord source, RecordRef record, Instant now, DeferredState state) {
        EmailJob job;
        try {
            job = reader.read(source.value());
        } catch (JobRejection rejection) {
            return invalid(source, now, null, rejection);
        } catch (RouterFault e) {
            throw e; // the router's fault, never the job's: the exchange fails and the record is read again
        } catch (RuntimeException e) {
            throwIfRouterFault("reading the job failed", e);
            return invalid(source, now, null, new JobRejection(JobRejection.MALFORMED_JSON, e.getMessage()));
        }
        JobRejection unechoable = null;
        try {
            echoed.check(job); // a result echoes the metadata whatever the job becomes, DUPLICATE too
        } catch (JobRejection rejection) {
            unechoable = rejection;
        }
        Optional<CompletedJob> completed = JobValidator.isValidJobId(job.jobId())
                ? completedJobs.find(job.jobId()) : Optional.empty();
        DeferredState from = state;
        if (completed.isPresent()) {
            AlreadyCompleted.Verdict verdict = alreadyCompleted.verdict(job.jobId(), completed.get(), source, record,
                    state);
            if (verdict.kind() != AlreadyCompleted.Kind.GO_ON) {
                return readAgain(verdict, source, now, job, completed.get(), unechoable);
            }
            from = verdict.from();
        }
        return unechoable != null ? rejected(source, now, job, from, unechoable) : validated(source, now, job, from);
    }

    /** A record of a completed job that sends nothing: a DUPLICATE, its result written again, or nothing at all. */
    private Pass readAgain(AlreadyCompleted.Verdict verdict, SourceRecord source, Instant now, EmailJob job,
            CompletedJob c, JobRejection unechoable) {
        if (verdict.kind() == AlreadyCompleted.Kind.DUPLICATE) {
            return unechoable != null ? invalid(source, now, job, unechoable)
                    : Pass.duplicate(source, now, job.jobId(), echoed.relay(job), job.metadata(), c);
        }
        Pass ended = Pass.ended(source, now, job.jobId(), echoed.relay(job), job.metadata(), c.status());
        if (verdict.kind() == AlreadyCompleted.Kind.REPLAY) {
            return results.replay(ended, c, verdict.result());
        }
        ended.conclude(); // concluded with nothing owed: the pass that ended the job, or goes on with it, writes
        return ended;
    }

    /** The job validated, checked against what the topics take (CONTRACT 9.3), and its message built; or INVALID. */
    private Pass validated(SourceRecord source, Instant now, EmailJob job, DeferredState from) {
        try {
            ValidJob valid = validator.validate(job);
            outputTopics.check(valid, source);
            SubmissionMessage message = mime.create(valid,
                    MessageIds.of(job.jobId(), config.messageIdDomain()), config.limits().maxMessageBytes());
            return from == null ? Pass.of(source, now, valid, message)
                    : Pass.resumed(source, valid, message, DeferredStates.withPending(from, valid.recipients()));
        } catch (JobRejection rejection) {
            return rejected(source, now, job, from, rejection);
        } catch (MessagingException | RuntimeException e) {
            throwIfRouterFault("building the message failed", e);
            return rejected(source, now, job, from, new JobRejection(JobRejection.INVALID_FIELD,
                    "the message cannot be built: " + e.getMessage()));
        }
    }

    /**
     * A failure no check names is the job's own when the router's sample job goes through, the router's when it fails
     * too (in a native image, something left out of the registrations): never reported as the job's fault.
     */
    private void throwIfRouterFault(String what, Exception failure) {
        if (failure instanceof RouterFault fault) {
            throw fault;
        }
        SampleJob.routerFault(reader, mime, what, failure).ifPresent(fault -> {
            throw fault;
        });
    }

    /**
     * A job that fails a check: INVALID, unless it goes on from a pass a server accepted it in (or that may have
     * delivered it) and the check passed then: it ends as far as it got ({@link Pass#rejectedLate}).
     */
    private Pass rejected(SourceRecord source, Instant now, EmailJob job, DeferredState from,
            JobRejection rejection) {
        if (!pastInvalid(from) || !JobValidator.isValidJobId(job.jobId())) {
            return invalid(source, now, job, rejection);
        }
        return Pass.rejectedLate(source, job.jobId(), echoed.relay(job), echoed.metadata(job),
                MessageIds.of(job.jobId(), config.messageIdDomain()), from, rejection);
    }

    /** Whether a job that goes on from {@code from} (null: a new job) is past being {@code INVALID}. */
    static boolean pastInvalid(DeferredState from) {
        return from != null && (from.accepted() != null && !from.accepted().isEmpty() || from.possibleDuplicate());
    }

    private Pass invalid(SourceRecord source, Instant now, EmailJob job, JobRejection rejection) {
        String jobId = job != null && JobValidator.isValidJobId(job.jobId())
                ? job.jobId() : reader.salvageJobId(source.value(), source.key());
        return Pass.invalid(source, now, jobId, echoed.relay(job), echoed.metadata(job), rejection);
    }

    /** What a record of the jobs topic brings (CONTRACT 8.2): key, value, coordinates, time and traceparent. */
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
