package io.submissionrouter.ops;

import io.quarkus.runtime.annotations.RegisterForReflection;
import io.submissionrouter.control.ControlCommand;
import io.submissionrouter.control.EndpointControl;
import io.submissionrouter.dns.RecipientDomains;
import io.submissionrouter.idempotency.Completion;
import io.submissionrouter.idempotency.CompletionRecords;
import io.submissionrouter.idempotency.IntakeStarter;
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
import io.submissionrouter.smtp.RecipientReply;

/**
 * What a native image must keep for reflection: the beans the routes call by name (Camel's bean component
 * finds their methods reflectively) and the records Jackson writes and reads on Kafka. On the JVM this
 * changes nothing. {@code NativeReadinessTest} fails when a route names a bean that is missing here.
 */
@RegisterForReflection(targets = {
        // beans named in routes/*.yaml
        CompletionRecords.class, DeferredRecords.class, DeliveryResults.class, EndpointSelector.class,
        FailureTriage.class, JobIntake.class, KafkaRecords.class, InFlightJobs.class, InFlightCommits.class,
        InFlightRoom.class, RecipientDomains.class,
        RetryTiers.class, SessionRecorder.class, JobTraces.class, EndpointControl.class, UnsettledPasses.class,
        KafkaWrites.class, KafkaWritesRefused.class, DeadLettersTooLarge.class,
        // beans of the periodic routes (routes/periodic.yaml)
        IntakeStarter.class, KafkaReachability.class, EndpointProber.class, JobsTopicShare.class,
        // records written to and read from Kafka as JSON
        DeliveryResult.class, AttemptEvent.class, EndpointRef.class, ErrorInfo.class, RecipientReply.class,
        Completion.class, DeferredState.class, DeferredState.LastSession.class, ControlCommand.class,
        RecordRef.class,
        // the operator endpoints' answers (JSON through Jackson)
        EndpointControl.EndpointView.class,
        // what the routes read through simple's OGNL: ${exchangeProperty.delivery.next}, .concluded,
        // ${exchangeProperty.endpoint.sender}
        Delivery.class, Delivery.Next.class, SubmissionEndpoint.class })
public final class NativeReflection {

    private NativeReflection() {
    }
}
