package io.submissionrouter.nativeimage;

import io.quarkus.runtime.annotations.RegisterForReflection;
import io.submissionrouter.admin.DlqReplay;
import io.submissionrouter.admin.ReplayWrites;
import io.submissionrouter.control.ControlCommand;
import io.submissionrouter.control.EndpointControl;
import io.submissionrouter.idempotency.CompletionRecords;
import io.submissionrouter.intake.DueRetries;
import io.submissionrouter.intake.InFlightCommits;
import io.submissionrouter.intake.InFlightJobs;
import io.submissionrouter.intake.IntakeStarter;
import io.submissionrouter.job.EmailJob;
import io.submissionrouter.kafka.KafkaWrites;
import io.submissionrouter.output.DeadLettersTooLarge;
import io.submissionrouter.output.KafkaRecords;
import io.submissionrouter.pass.Completion;
import io.submissionrouter.pass.DeferredState;
import io.submissionrouter.pass.JobTraces;
import io.submissionrouter.pass.Pass;
import io.submissionrouter.pass.PassConcluder;
import io.submissionrouter.pass.RecordRef;
import io.submissionrouter.pass.UnsettledPasses;
import io.submissionrouter.rate.JobsTopicShare;
import io.submissionrouter.relay.Endpoint;
import io.submissionrouter.relay.EndpointProber;
import io.submissionrouter.results.AttemptEvent;
import io.submissionrouter.results.DeliveryResult;
import io.submissionrouter.results.EndpointRef;
import io.submissionrouter.results.ErrorInfo;
import io.submissionrouter.results.Status;
import io.submissionrouter.retry.DeferredRecords;
import io.submissionrouter.routing.EndpointSelector;
import io.submissionrouter.routing.JobIntake;
import io.submissionrouter.routing.RecipientDomains;
import io.submissionrouter.routing.RetryTiers;
import io.submissionrouter.routing.SessionRecorder;
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
        CompletionRecords.class, DeferredRecords.class, PassConcluder.class, EndpointSelector.class,
        JobIntake.class, KafkaRecords.class, InFlightJobs.class, InFlightCommits.class, RecipientDomains.class,
        RetryTiers.class, DueRetries.class, SessionRecorder.class, JobTraces.class, EndpointControl.class,
        UnsettledPasses.class, KafkaWrites.class, DeadLettersTooLarge.class, ReplayWrites.class,
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
        // what the routes read through simple's OGNL: ${exchangeProperty.pass.routing}, .unfinished,
        // .toConclude, ${exchangeProperty.endpoint.sender}
        Pass.class, Endpoint.class,
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
