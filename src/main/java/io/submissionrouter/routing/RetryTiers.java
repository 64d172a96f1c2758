package io.submissionrouter.routing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.job.JobProperties;
import io.submissionrouter.output.OutputTopics;
import io.submissionrouter.pass.Pass;
import io.submissionrouter.relay.SubmissionMetrics;
import io.submissionrouter.retry.RetryTopics;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import java.time.Duration;
import java.time.Instant;
import java.util.OptionalLong;
import org.apache.camel.ExchangeProperty;

/**
 * Decides where a job that cannot be finished now goes (CONTRACT 5.3): after a transient, throttled or
 * uncertain outcome, to the tier of its retry count; while no endpoint of its group admits calls, to the
 * group's waiting topic. A job that would outlive {@code submission.retry.max-age} ends {@code FAILED}
 * with {@code EXPIRED} instead.
 */
@ApplicationScoped
@Named("retryTiers")
public class RetryTiers {

    private final RetryTopics topics;
    private final Duration maxAge;
    private final SubmissionMetrics metrics;
    private final ObjectMapper mapper;
    private final OutputTopics outputTopics;

    public RetryTiers(RetryTopics topics, SubmissionConfig config, SubmissionMetrics metrics, ObjectMapper mapper,
            OutputTopics outputTopics) {
        this.mapper = mapper;
        this.outputTopics = outputTopics;
        this.topics = topics;
        this.maxAge = config.retry().maxAge();
        this.metrics = metrics;
    }

    /** Chooses the topic of a job that cannot be finished now ({@link Pass#outputs()}), or ends it. */
    public void place(@ExchangeProperty(JobProperties.PASS) Pass d) {
        if (d.next() == Pass.Next.DONE) {
            return;
        }
        Instant now = Instant.now();
        String topic;
        if (d.next() == Pass.Next.RETRY) {
            int n = Math.max(1, d.deferrals());
            Duration delay = topics.delay(n);
            if (now.plus(delay).isAfter(deadline(d))) {
                d.end("EXPIRED", d.failedEverywhereThisPass() ? expiredWaiting(d) : "the next retry (in " + delay
                        + ") would come after submission.retry.max-age (" + maxAge + ") of the job");
                return;
            }
            topic = topics.tier(n);
        } else if (d.next() == Pass.Next.WAIT) {
            if (!now.isBefore(deadline(d))) {
                d.end("EXPIRED", expiredWaiting(d));
                return;
            }
            topic = topics.waitTopic(d.relay());
        } else {
            throw new IllegalStateException("job " + d.jobId() + " is not to be deferred: " + d.next());
        }
        if (fits(d, topic)) {
            d.outputs().deferTo(topic);
            metrics.deferred(d.relay(), topic);
        }
    }

    /**
     * Whether the job's record, with what it carries (headers at their longest, README "Record sizes"), fits every
     * tier and waiting topic as they took records at startup. One that does not (its producer compressed it, or the
     * jobs topic was raised since) would be refused for good and hold its partition: the job ends instead, as far as
     * it got, with {@code TOO_LARGE_TO_RETRY}.
     */
    private boolean fits(Pass d, String topic) {
        OptionalLong max = outputTopics.retryTakes();
        if (max.isEmpty()) {
            return true;
        }
        long size = outputTopics.retryRecordBytes(d.source(), d.relay(), stateBytes(d));
        if (size <= max.getAsLong()) {
            return true;
        }
        d.end("TOO_LARGE_TO_RETRY", "the job's record with its retry state (" + size + " bytes) is larger "
                + "than " + topic + " takes (max.message.bytes " + max.getAsLong() + "); give the retry and waiting "
                + "topics the max.message.bytes the router asks for at startup");
        return false;
    }

    private long stateBytes(Pass d) {
        try {
            return mapper.writeValueAsBytes(d.deferredState()).length;
        } catch (JsonProcessingException e) {
            return 0;
        }
    }

    /** When the job outlives {@code submission.retry.max-age}, counted from its record on the jobs topic. */
    private Instant deadline(Pass d) {
        return d.source().timestamp().plus(maxAge);
    }

    /** Ends a job that came back from a tier or waiting topic after its deadline. */
    public void expireIfDue(Pass d, Instant now) {
        if (d.status() == null && !now.isBefore(deadline(d))) {
            d.end("EXPIRED", d.waits() > 0 ? expiredWaiting(d)
                    : "the job outlived submission.retry.max-age (" + maxAge + ") before its next retry");
        }
    }

    private String expiredWaiting(Pass d) {
        return "no endpoint of relay group '" + d.relay() + "' took the job within submission.retry.max-age ("
                + maxAge + ")";
    }
}
