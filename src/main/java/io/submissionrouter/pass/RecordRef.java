package io.submissionrouter.pass;

/** Where a Kafka record is: its topic, partition and offset. */
public record RecordRef(String topic, int partition, long offset) {

    /** The coordinates of {@code source}, the job's record on the jobs topic. */
    public static RecordRef of(SourceRecord source) {
        return new RecordRef(source.topic(), source.partition(), source.offset());
    }

    @Override
    public String toString() {
        return topic + "-" + partition + "@" + offset;
    }
}
