package io.submissionrouter.retry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.submissionrouter.job.RouterFault;
import io.submissionrouter.nativeimage.BlindMapper;
import io.submissionrouter.pass.DeferredState;
import io.submissionrouter.smtp.RecipientReply;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

/** Reading tier and waiting records back: the original coordinates when they are there, the record itself when not. */
class DeferredRecordsTest {

    private static final ObjectMapper JSON = new ObjectMapper().findAndRegisterModules();
    private final DeferredRecords records = new DeferredRecords(JSON);

    private static ConsumerRecord<byte[], byte[]> record(RecordHeaders headers) {
        return new ConsumerRecord<>("email.jobs.retry-30s", 2, 41, 1_700_000_000_000L, TimestampType.CREATE_TIME, 3, 5,
                "k".getBytes(StandardCharsets.UTF_8), "{}".getBytes(StandardCharsets.UTF_8), headers,
                java.util.Optional.empty());
    }

    private static RecordHeaders headers(String... pairs) {
        RecordHeaders h = new RecordHeaders();
        for (int i = 0; i < pairs.length; i += 2) {
            h.add(pairs[i], pairs[i + 1].getBytes(StandardCharsets.UTF_8));
        }
        return h;
    }

    @Test
    void carriesTheJobsRecordCoordinatesTraceAndState() throws Exception {
        DeferredState state = new DeferredState(Instant.parse("2026-11-27T10:00:00Z"), 2, 1, 0, true,
                List.of("ada@example.org"), List.of("bob@example.org"), List.of(), null,
                List.of(new RecipientReply("ada@example.org", 451, "4.2.0", "try later")), 0);
        DeferredJob job = records.read(record(headers("source.topic", "email.jobs", "source.partition", "4",
                "source.offset", "1234", "source.timestamp", "1699999999000", "traceparent", "00-abc-def-01",
                "router.state", JSON.writeValueAsString(state))));
        assertThat(job.source().topic()).isEqualTo("email.jobs");
        assertThat(job.source().partition()).isEqualTo(4);
        assertThat(job.source().offset()).isEqualTo(1234);
        assertThat(job.source().timestamp()).isEqualTo(Instant.ofEpochMilli(1_699_999_999_000L));
        assertThat(job.source().traceparent()).isEqualTo("00-abc-def-01");
        assertThat(job.source().value()).isEqualTo("{}".getBytes(StandardCharsets.UTF_8));
        assertThat(job.state()).isEqualTo(state);
    }

    /**
     * A state the router cannot bind (in a native image, DeferredState left out of the registrations) is its own fault:
     * taking the job as starting afresh would send it again to the recipients that accepted it.
     */
    @Test
    void aStateTheRouterCannotBindIsItsOwnFaultNotAFreshStart() throws Exception {
        DeferredState state = new DeferredState(Instant.parse("2026-11-27T10:00:00Z"), 2, 1, 0, true,
                List.of("ada@example.org"), List.of("bob@example.org"), List.of(), null, List.of(), 0);
        DeferredRecords blind = new DeferredRecords(BlindMapper.blindTo(DeferredState.class));
        assertThatThrownBy(() -> blind.read(record(headers("source.topic", "email.jobs", "source.partition", "4",
                "source.offset", "1234", "source.timestamp", "1699999999000",
                "router.state", JSON.writeValueAsString(state))))).isInstanceOf(RouterFault.class)
                .hasMessageContaining(DeferredState.class.getName());
    }

    /**
     * A state that binds but lacks what the router always writes (by hand, a broken writer): the record's time stands
     * in for receivedAt and an incomplete last session is left out, the recipients it names are kept; a pass must not
     * fail on them after a server took the job (it would send the job again and again).
     */
    @Test
    void aStateWithoutReceivedAtOrAWholeLastSessionIsCompletedNotFailedOn() {
        DeferredJob empty = records.read(record(headers("router.state", "{}")));
        assertThat(empty.state().receivedAt()).isEqualTo(Instant.ofEpochMilli(1_700_000_000_000L));
        DeferredJob partial = records.read(record(headers("router.state",
                "{\"attempts\":1,\"accepted\":[\"bob@example.org\"],\"last\":{\"smtpCode\":451}}")));
        assertThat(partial.state().receivedAt()).isEqualTo(Instant.ofEpochMilli(1_700_000_000_000L));
        assertThat(partial.state().accepted()).containsExactly("bob@example.org");
        assertThat(partial.state().attempts()).isEqualTo(1);
        assertThat(partial.state().last()).isNull();
    }

    /**
     * The stand-in is the tier record's own time, which Kafka checks, never a source.timestamp header written by
     * hand (a receivedAt from it would overflow the job's duration after a server took the job); the JSON null is
     * no state.
     */
    @Test
    void anAbsurdSourceTimestampNeverReplacesTheStateAndTheJsonNullIsNoState() {
        DeferredJob job = records.read(record(headers("source.topic", "email.jobs", "source.partition", "4",
                "source.offset", "1234", "source.timestamp", String.valueOf(Long.MIN_VALUE),
                "router.state", "{\"receivedAt\":\"2023-11-14T22:00:00Z\",\"attempts\":1}")));
        assertThat(job.state().receivedAt()).isEqualTo(Instant.parse("2023-11-14T22:00:00Z"));
        assertThat(records.read(record(headers("router.state", "null"))).state()).isNull();
    }

    @Test
    void takesARecordWithoutOrWithBrokenHeadersAsAJobOfItsOwn() {
        DeferredJob bare = records.read(record(headers()));
        assertThat(bare.source().topic()).isEqualTo("email.jobs.retry-30s");
        assertThat(bare.source().offset()).isEqualTo(41);
        assertThat(bare.state()).isNull();

        DeferredJob broken = records.read(record(headers("source.topic", "email.jobs", "source.partition", "x",
                "router.state", "{not json")));
        assertThat(broken.source().topic()).isEqualTo("email.jobs.retry-30s");
        assertThat(broken.state()).isNull();
    }

    @Test
    void tellsTheRelayGroupOfARecordForItsGroupsRetryConsumer() {
        java.util.Set<String> groups = java.util.Set.of("default", "bulk");
        assertThat(records.relay(record(headers("router.relay", "bulk")), groups)).isEqualTo("bulk");
        // written by hand or by an earlier version: the job's own relay
        assertThat(records.relay(valued("{\"relay\":\"bulk\"}"), groups)).isEqualTo("bulk");
        assertThat(records.relay(valued("{\"jobId\":\"j\"}"), groups)).isEqualTo("default");
        // a group this router does not know, or no JSON at all: the default group's consumer makes it INVALID
        assertThat(records.relay(valued("{\"relay\":\"nosuch\"}"), groups)).isEqualTo("default");
        assertThat(records.relay(valued("not json"), groups)).isEqualTo("default");
    }

    private static ConsumerRecord<byte[], byte[]> valued(String value) {
        return new ConsumerRecord<>("email.jobs.retry-30s", 0, 1, 1_700_000_000_000L, TimestampType.CREATE_TIME, 3, 5,
                null, value.getBytes(StandardCharsets.UTF_8), new RecordHeaders(), java.util.Optional.empty());
    }
}
