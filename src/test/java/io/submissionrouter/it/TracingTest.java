package io.submissionrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.quarkus.test.junit.QuarkusTest;
import io.submissionrouter.testing.Jobs;
import io.submissionrouter.testing.KafkaTestClient;
import io.submissionrouter.testing.RouterTestBase;
import io.submissionrouter.testing.TestSmtpServer.Mode;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * W3C trace context from the job record to the SMTP sessions and the records the router writes (OpenTelemetry):
 * a job is a span under the record's traceparent, each SMTP session a span inside it, and the result and each
 * attempt event carry the context of their span.
 */
@QuarkusTest
class TracingTest extends RouterTestBase {

    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String PRODUCER_SPAN = "00f067aa0ba902b7";

    @Inject
    InMemorySpanExporter spans;

    @Test
    void aJobIsASpanUnderItsRecordsTraceparentWithOneSpanPerSmtpSession() {
        primary().mode(Mode.REFUSE);
        String jobId = Jobs.newJobId("trace");
        kafka.send("email.jobs", jobId.getBytes(StandardCharsets.UTF_8), Jobs.json(Jobs.job(jobId)).getBytes(StandardCharsets.UTF_8),
                Map.of("traceparent", "00-" + TRACE + "-" + PRODUCER_SPAN + "-01"));
        assertThat(kafka.awaitResult(jobId, Duration.ofSeconds(20)).path("status").asText()).isEqualTo("SENT");

        SpanData job = Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> jobSpan(jobId), s -> s != null);
        assertThat(job.getTraceId()).isEqualTo(TRACE);
        assertThat(job.getParentSpanId()).isEqualTo(PRODUCER_SPAN);
        assertThat(job.getKind()).isEqualTo(SpanKind.CONSUMER);
        assertThat(job.getAttributes().asMap().toString()).contains("email.status=SENT", "messaging.destination.name=email.jobs");

        List<SpanData> sessions = Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> children(job), l -> l.size() == 2);
        SpanData refused = sessions.stream().filter(s -> s.getName().equals("smtp primary")).findFirst().orElseThrow();
        SpanData sent = sessions.stream().filter(s -> s.getName().equals("smtp fallback")).findFirst().orElseThrow();
        assertThat(refused.getKind()).isEqualTo(SpanKind.CLIENT);
        assertThat(refused.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(refused.getAttributes().asMap().toString()).contains("email.smtp.outcome=endpoint_down",
                "server.port=" + primary().port());
        assertThat(sent.getAttributes().asMap().toString()).contains("email.smtp.outcome=sent", "email.smtp.code=250",
                "server.port=" + fallback().port());

        assertThat(KafkaTestClient.header(kafka.on("email.results", jobId).get(0), "traceparent"))
                .isEqualTo("00-" + TRACE + "-" + job.getSpanId() + "-01");
        assertThat(kafka.on("email.attempts", jobId)).extracting(r -> KafkaTestClient.header(r, "traceparent"))
                .containsExactlyInAnyOrder("00-" + TRACE + "-" + refused.getSpanId() + "-01",
                        "00-" + TRACE + "-" + sent.getSpanId() + "-01");
    }

    @Test
    void aJobWithoutTraceparentStartsATraceItsResultCarries() {
        String jobId = Jobs.newJobId("newtrace");
        kafka.sendJob(jobId, Jobs.json(Jobs.job(jobId)));
        kafka.awaitResult(jobId, Duration.ofSeconds(20));

        SpanData job = Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> jobSpan(jobId), s -> s != null);
        assertThat(job.getParentSpanContext().isValid()).isFalse();
        assertThat(KafkaTestClient.header(kafka.on("email.results", jobId).get(0), "traceparent"))
                .isEqualTo("00-" + job.getTraceId() + "-" + job.getSpanId() + "-01");
    }

    private SpanData jobSpan(String jobId) {
        return spans.getFinishedSpanItems().stream().filter(s -> s.getName().equals("email.job"))
                .filter(s -> jobId.equals(s.getAttributes().asMap().entrySet().stream()
                        .filter(e -> e.getKey().getKey().equals("email.job.id")).map(e -> e.getValue().toString())
                        .findFirst().orElse(null)))
                .findFirst().orElse(null);
    }

    private List<SpanData> children(SpanData parent) {
        return spans.getFinishedSpanItems().stream().filter(s -> s.getParentSpanId().equals(parent.getSpanId())).toList();
    }
}
