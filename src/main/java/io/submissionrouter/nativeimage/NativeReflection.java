package io.submissionrouter.nativeimage;

import io.quarkus.runtime.annotations.RegisterForReflection;
import io.submissionrouter.admin.DlqReplay;
import io.submissionrouter.admin.ReplayWrites;
import io.submissionrouter.control.ControlCommand;
import io.submissionrouter.control.EndpointControl;
import io.submissionrouter.dns.RecipientDomains;
import io.submissionrouter.idempotency.Completion;
import io.submissionrouter.idempotency.CompletionRecords;
import io.submissionrouter.idempotency.IntakeStarter;
import io.submissionrouter.job.EmailJob;
import io.submissionrouter.kafka.InFlightCommits;
import io.submissionrouter.kafka.InFlightJobs;
import io.submissionrouter.kafka.InFlightRoom;
import io.submissionrouter.rate.JobsTopicShare;
import io.submissionrouter.results.AttemptEvent;
import io.submissionrouter.results.DeadLettersTooLarge;
import io.submissionrouter.results.DeliveryResult;
import io.submissionrouter.results.DeliveryResults;
import io.submissionrouter.results.EndpointRef;
import io.submissionrouter.results.ErrorInfo;
import io.submissionrouter.results.FailureTriage;
import io.submissionrouter.results.KafkaRecords;
import io.submissionrouter.retry.DeferredRecords;
import io.submissionrouter.retry.DueRetries;
import io.submissionrouter.retry.RetryTiers;
import io.submissionrouter.routing.DeferredState;
import io.submissionrouter.routing.Delivery;
import io.submissionrouter.routing.EndpointProber;
import io.submissionrouter.routing.EndpointSelector;
import io.submissionrouter.routing.JobIntake;
import io.submissionrouter.routing.RecordRef;
import io.submissionrouter.routing.SessionRecorder;
import io.submissionrouter.routing.SubmissionEndpoint;
import io.submissionrouter.routing.UnsettledPasses;
import io.submissionrouter.ops.JobTraces;
import io.submissionrouter.ops.KafkaWrites;
import io.submissionrouter.ops.KafkaWritesRefused;
import io.submissionrouter.results.Status;
import io.submissionrouter.smtp.OutcomeClass;
import io.submissionrouter.smtp.RecipientReply;
import io.submissionrouter.smtp.SmtpStep;

/**
 * What a native image must keep for reflection, every entry with its reason (README, "Native"). On the JVM this
 * changes nothing. {@code NativeImageGuardTest} derives what is needed from the code, the routes and the libraries
 * (see its javadoc) and fails when something here is missing; {@link StartupSelfCheck} tries the same at start-up,
 * so that an image that lacks one of them stops with its name instead of reporting jobs wrongly.
 */
@RegisterForReflection(targets = {
        // beans named in routes/*.yaml
        CompletionRecords.class, DeferredRecords.class, DeliveryResults.class, EndpointSelector.class,
        FailureTriage.class, JobIntake.class, KafkaRecords.class, InFlightJobs.class, InFlightCommits.class,
        InFlightRoom.class, RecipientDomains.class,
        RetryTiers.class, DueRetries.class, SessionRecorder.class, JobTraces.class, EndpointControl.class,
        UnsettledPasses.class, KafkaWrites.class, KafkaWritesRefused.class, DeadLettersTooLarge.class, ReplayWrites.class,
        // beans of the periodic routes (routes/periodic.yaml), and the route policy of intake-starter
        IntakeStarter.class, EndpointProber.class, JobsTopicShare.class,
        // records written to and read from Kafka as JSON
        DeliveryResult.class, AttemptEvent.class, EndpointRef.class, ErrorInfo.class, RecipientReply.class,
        Completion.class, DeferredState.class, DeferredState.LastSession.class, ControlCommand.class,
        RecordRef.class,
        // the enums inside those records (Jackson reads their constants and their fields' annotations)
        Status.class, OutcomeClass.class, SmtpStep.class, ControlCommand.Action.class,
        // the job Jackson binds from each jobs-topic record (JobReader), with the record inside
        EmailJob.class, EmailJob.Attachment.class,
        // the operator endpoints' answers (JSON through Jackson)
        EndpointControl.EndpointView.class, DlqReplay.Report.class, DlqReplay.Entry.class,
        // what the routes read through simple's OGNL: ${exchangeProperty.delivery.routing}, .unfinished,
        // .toConclude, ${exchangeProperty.endpoint.sender}
        Delivery.class, SubmissionEndpoint.class,
        // this class, whose annotation StartupSelfCheck reads at start-up, and StartupSelfCheck (the IntakeStarter calls it)
        NativeReflection.class, StartupSelfCheck.class },
        classNames = {
            // commons-pool2 (SmtpConnectionPool) loads its eviction policy by name (BaseObjectPoolConfig
            // .DEFAULT_EVICTION_POLICY_CLASS_NAME) in every pool's constructor, and checks it is an EvictionPolicy
            "org.apache.commons.pool2.impl.DefaultEvictionPolicy", "org.apache.commons.pool2.impl.EvictionPolicy",
            // jakarta.mail-api names these classes in strings (logger names, the StreamProvider lookup); Angus Mail's
            // own native-image feature covers the implementation, not the API jar
            "jakarta.mail.MailLogger", "jakarta.mail.internet.MailDateFormat", "jakarta.mail.util.StreamProvider" })
public final class NativeReflection {

    private NativeReflection() {
    }
}
