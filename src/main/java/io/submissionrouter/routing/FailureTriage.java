package io.submissionrouter.routing;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.apache.camel.util.ObjectHelper;

/**
 * Tells a failure of the job apart from a failure of the infrastructure. A job fault (a bug met by one
 * job) must not stall the partition: the job ends FAILED in the dead-letter topic. Kafka being
 * unreachable, or the consumer shutting down, must not lose the job: the record stays uncommitted and is
 * consumed again.
 */
@ApplicationScoped
@Named("failureTriage")
public class FailureTriage {

    public boolean isJobFault(@ExchangeProperty(Exchange.EXCEPTION_CAUGHT) Throwable caught) {
        for (Throwable t : ObjectHelper.createExceptionIterable(caught)) {
            if (t instanceof InterruptedException || t instanceof org.apache.kafka.common.KafkaException
                    || t.getClass().getName().startsWith("org.apache.kafka.")) {
                return false;
            }
        }
        return true;
    }
}
