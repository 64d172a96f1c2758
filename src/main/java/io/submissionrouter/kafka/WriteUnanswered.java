package io.submissionrouter.kafka;

import org.apache.kafka.common.errors.RetriableException;

/**
 * A write the router's producer did not answer in time: its producer stopped working and was replaced, or the write
 * waited longer than the producer would take to report any failure. A {@code KafkaException}, so the route
 * configuration {@code kafka-writes} retries it like any refused write: the record stays owed, and nothing is sent
 * again over SMTP for it.
 */
public class WriteUnanswered extends RetriableException {

    public WriteUnanswered(String message) {
        super(message);
    }
}
