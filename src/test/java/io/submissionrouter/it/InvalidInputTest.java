package io.submissionrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.submissionrouter.job.MessageIds;
import io.submissionrouter.testing.AsyncApi;
import io.submissionrouter.testing.Jobs;
import io.submissionrouter.testing.KafkaTestClient;
import io.submissionrouter.testing.RouterTestBase;
import io.submissionrouter.testing.RouterTestResources;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** Bad input gets an INVALID result and a dead-letter record with the original bytes; the pipeline goes on. */
@QuarkusTest
class InvalidInputTest extends RouterTestBase {

    private static final String IDEMPOTENCY = "email.jobs.completed";

    @Test
    void deadLettersMalformedJsonByteForByteAndReportsItUnderTheRecordKey() {
        String jobId = Jobs.newJobId("malformed");
        byte[] value = "{\"jobId\": \"x\", \"to\": [oops".getBytes(StandardCharsets.UTF_8);
        kafka.send("email.jobs", jobId.getBytes(StandardCharsets.UTF_8), value, Map.of());

        JsonNode result = kafka.awaitResult(jobId, Duration.ofSeconds(20));
        assertThat(result.path("status").asText()).isEqualTo("INVALID");
        assertThat(result.path("error").path("code").asText()).isEqualTo("MALFORMED_JSON");
        assertThat(result.path("attempts").asInt()).isZero();
        assertThat(result.path("messageId").isNull()).isTrue();
        ConsumerRecord<byte[], byte[]> resultRecord = kafka.on("email.results", jobId).get(0);
        assertThat(KafkaTestClient.header(resultRecord, "ce_type")).isEqualTo("email.submission.invalid");

        ConsumerRecord<byte[], byte[]> dead = awaitDeadLetter(jobId);
        assertThat(dead.value()).isEqualTo(value);
        assertThat(dead.key()).isEqualTo(jobId.getBytes(StandardCharsets.UTF_8));
        assertThat(KafkaTestClient.header(dead, "error.code")).isEqualTo("MALFORMED_JSON");
        assertThat(KafkaTestClient.header(dead, "error.message")).contains("not JSON");
        assertThat(KafkaTestClient.header(dead, "attempts")).isEqualTo("0");
        assertThat(KafkaTestClient.header(dead, "source.topic")).isEqualTo("email.jobs");
        assertThat(KafkaTestClient.header(dead, "source.partition")).isEqualTo("0");
        assertThat(Long.parseLong(KafkaTestClient.header(dead, "source.offset"))).isNotNegative();
        assertThat(KafkaTestClient.header(dead, "jobId")).isEqualTo(jobId);
        // docs/asyncapi.yaml describes what was written
        assertThat(AsyncApi.validate("DeliveryResult", result)).isEmpty();
        assertThat(AsyncApi.validate("CloudEventHeaders", AsyncApi.headers(resultRecord))).isEmpty();
        assertThat(AsyncApi.validate("DeadLetterHeaders", AsyncApi.headers(dead))).isEmpty();
    }

    @Test
    void reportsAJobWithoutSubjectAsMissingField() {
        String jobId = Jobs.newJobId("missing");
        ObjectNode job = Jobs.job(jobId);
        job.remove("subject");
        String json = Jobs.json(job);
        kafka.sendJob(jobId, json);

        JsonNode result = kafka.awaitResult(jobId, Duration.ofSeconds(20));
        assertThat(result.path("status").asText()).isEqualTo("INVALID");
        assertThat(result.path("error").path("code").asText()).isEqualTo("MISSING_FIELD");
        assertThat(result.path("error").path("message").asText()).contains("subject");
        ConsumerRecord<byte[], byte[]> dead = awaitDeadLetter(jobId);
        assertThat(new String(dead.value(), StandardCharsets.UTF_8)).isEqualTo(json);
        assertThat(KafkaTestClient.header(dead, "error.code")).isEqualTo("MISSING_FIELD");
        assertThat(primary().received()).isEmpty();
    }

    @Test
    void refusesCrLfInAHeaderValueAsHeaderInjection() {
        String jobId = Jobs.newJobId("crlf");
        ObjectNode job = Jobs.job(jobId);
        job.putObject("headers").put("X-Campaign", "orders\r\nBcc: victim@example.org");
        kafka.sendJob(jobId, Jobs.json(job));

        JsonNode result = kafka.awaitResult(jobId, Duration.ofSeconds(20));
        assertThat(result.path("status").asText()).isEqualTo("INVALID");
        assertThat(result.path("error").path("code").asText()).isEqualTo("HEADER_INJECTION");
        assertThat(result.path("error").path("message").asText()).contains("headers.X-Campaign");
        assertThat(KafkaTestClient.header(awaitDeadLetter(jobId), "error.code")).isEqualTo("HEADER_INJECTION");
        assertThat(primary().received()).isEmpty();
        assertThat(fallback().received()).isEmpty();
    }

    @Test
    void refusesCrLfInTheSubject() {
        String jobId = Jobs.newJobId("crlf-subject");
        ObjectNode job = Jobs.job(jobId);
        job.put("subject", "Hello\nBcc: victim@example.org");
        kafka.sendJob(jobId, Jobs.json(job));

        JsonNode result = kafka.awaitResult(jobId, Duration.ofSeconds(20));
        assertThat(result.path("error").path("code").asText()).isEqualTo("HEADER_INJECTION");
        assertThat(result.path("error").path("message").asText()).contains("subject");
    }

    @Test
    void reportsARelayGroupThatIsNotConfigured() {
        String jobId = Jobs.newJobId("relay");
        ObjectNode job = Jobs.job(jobId);
        job.put("relay", "marketing");
        kafka.sendJob(jobId, Jobs.json(job));

        JsonNode result = kafka.awaitResult(jobId, Duration.ofSeconds(20));
        assertThat(result.path("status").asText()).isEqualTo("INVALID");
        assertThat(result.path("error").path("code").asText()).isEqualTo("UNKNOWN_RELAY");
        assertThat(result.path("relay").asText()).isEqualTo("marketing");
    }

    /**
     * What a dead letter echoes is bounded (CONTRACT 9.3): a header name of 60,000 characters, which the schema's
     * message names, reaches the dead letter's error.message cut to 1,024 characters; a raw traceparent of 60,000
     * characters on the job's record is not copied at all. So a dead letter is its job's bytes and a bounded rest.
     */
    @Test
    void aDeadLetterEchoesBoundedTexts() {
        String jobId = Jobs.newJobId("long-header-name");
        ObjectNode job = Jobs.job(jobId);
        job.putObject("headers").put("X-" + "n".repeat(60_000), "v");
        byte[] value = Jobs.json(job).getBytes(StandardCharsets.UTF_8);
        kafka.send("email.jobs", jobId.getBytes(StandardCharsets.UTF_8), value,
                Map.of("traceparent", "00-" + "f".repeat(60_000)));
        assertThat(kafka.awaitResult(jobId, Duration.ofSeconds(20)).path("status").asText()).isEqualTo("INVALID");
        ConsumerRecord<byte[], byte[]> dead = awaitDeadLetter(jobId);
        assertThat(dead.value()).isEqualTo(value);
        assertThat(KafkaTestClient.header(dead, "error.message")).hasSizeLessThanOrEqualTo(1024);
        int headerBytes = 0;
        for (org.apache.kafka.common.header.Header h : dead.headers()) {
            headerBytes += h.key().length() + (h.value() == null ? 0 : h.value().length);
        }
        assertThat(headerBytes).isLessThan(4096);
    }

    /**
     * A metric label comes only from configuration: jobs naming relays that do not exist (each its own name, one of
     * them 4,000 characters long) are counted under relay="unknown", so hostile jobs cannot grow the registry or
     * /q/metrics.
     */
    @Test
    void metricsNeverTakeALabelFromAJob() {
        String[] relays = {"x1", "x2", "y".repeat(4000)};
        String last = null;
        for (String relay : relays) {
            last = Jobs.newJobId("label");
            ObjectNode job = Jobs.job(last);
            job.put("relay", relay);
            kafka.sendJob(last, Jobs.json(job));
        }
        assertThat(kafka.awaitResult(last, Duration.ofSeconds(20)).path("status").asText()).isEqualTo("INVALID");
        String metrics = RestAssured.get("/q/metrics").asString();
        assertThat(metrics).doesNotContain("relay=\"x1\"").doesNotContain("relay=\"x2\"").doesNotContain("yyyy");
        assertThat(metrics).containsPattern("submission_jobs_total\\{relay=\"unknown\",status=\"INVALID\"} [1-9]");
    }

    @Test
    void deadLettersARecordWithoutReadableJobIdWithoutAResultAndKeepsGoing() {
        byte[] value = "not json at all".getBytes(StandardCharsets.UTF_8);
        String marker = Jobs.newJobId("unreadable");
        kafka.send("email.jobs", null, value, Map.of("marker", marker));
        String next = Jobs.newJobId("after-bad-input");
        kafka.sendJob(next, Jobs.json(Jobs.job(next)));

        assertThat(kafka.awaitResult(next, Duration.ofSeconds(20)).path("status").asText()).isEqualTo("SENT");
        List<ConsumerRecord<byte[], byte[]>> dead = kafka.all("email.dlq").stream()
                .filter(r -> r.key() == null && java.util.Arrays.equals(r.value(), value)).toList();
        assertThat(dead).isNotEmpty();
        assertThat(KafkaTestClient.header(dead.get(0), "jobId")).isNull();
        assertThat(KafkaTestClient.header(dead.get(0), "error.code")).isEqualTo("MALFORMED_JSON");
    }

    @Test
    void poisonRecordsNeverStallThePartitionAndEachEndsInTheDeadLetterTopic() {
        Map<String, byte[]> poison = new java.util.LinkedHashMap<>();
        poison.put(Jobs.newJobId("tombstone"), null);
        poison.put(Jobs.newJobId("empty"), new byte[0]);
        poison.put(Jobs.newJobId("binary"), new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1, (byte) 0xc3, 0x28});
        poison.put(Jobs.newJobId("deep"), ("[".repeat(5000) + "]".repeat(5000)).getBytes(StandardCharsets.UTF_8));
        poison.put(Jobs.newJobId("array"), "[{\"jobId\": \"a\"}]".getBytes(StandardCharsets.UTF_8));
        poison.put(Jobs.newJobId("long-id"), Jobs.json(Jobs.job("x".repeat(10_000))).getBytes(StandardCharsets.UTF_8));
        poison.forEach((key, value) -> kafka.send("email.jobs", key.getBytes(StandardCharsets.UTF_8), value, Map.of()));
        // garbage written straight to a retry tier is taken as a job of its own and dead-lettered too
        String onTier = Jobs.newJobId("garbage-on-tier");
        kafka.send(RETRY_200MS, onTier.getBytes(StandardCharsets.UTF_8), "garbage".getBytes(StandardCharsets.UTF_8),
                Map.of());
        String next = Jobs.newJobId("after-poison");
        kafka.sendJob(next, Jobs.json(Jobs.job(next)));

        assertThat(kafka.awaitResult(next, Duration.ofSeconds(20)).path("status").asText()).isEqualTo("SENT");
        for (String key : poison.keySet()) {
            assertThat(kafka.awaitResult(key, Duration.ofSeconds(10)).path("status").asText()).as(key)
                    .isEqualTo("INVALID");
            assertThat(KafkaTestClient.header(awaitDeadLetter(key), "source.topic")).isEqualTo("email.jobs");
        }
        assertThat(kafka.awaitResult(onTier, Duration.ofSeconds(10)).path("status").asText()).isEqualTo("INVALID");
        assertThat(KafkaTestClient.header(awaitDeadLetter(onTier), "source.topic")).isEqualTo(RETRY_200MS);
    }

    @Test
    void rejectsRecipientsOnDomainsThatCannotReceiveMailAndNeverWaitsOnASilentDnsServer() {
        Map<String, String> expected = Map.of(
                "gone.example", "does not exist (NXDOMAIN)",
                "no-mail.example", "publishes a null MX (RFC 7505)",
                "nothing.example", "has no MX and no A/AAAA record");
        expected.forEach((domain, why) -> {
            String jobId = Jobs.newJobId("no-mx");
            ObjectNode job = Jobs.job(jobId);
            job.putArray("cc").add("someone@" + domain);
            kafka.sendJob(jobId, Jobs.json(job));
            JsonNode result = kafka.awaitResult(jobId, Duration.ofSeconds(20));
            assertThat(result.path("status").asText()).isEqualTo("INVALID");
            assertThat(result.path("error").path("code").asText()).isEqualTo("NO_MX");
            assertThat(result.path("error").path("message").asText()).contains("someone@" + domain).contains(why);
            assertThat(KafkaTestClient.header(awaitDeadLetter(jobId), "error.code")).isEqualTo("NO_MX");
        });
        for (String domain : List.of("web-only.example", "silent.example")) {
            String jobId = Jobs.newJobId("mail-ok");
            ObjectNode job = Jobs.job(jobId);
            job.putArray("to").add("someone@" + domain);
            kafka.sendJob(jobId, Jobs.json(job));
            assertThat(kafka.awaitResult(jobId, Duration.ofSeconds(20)).path("status").asText()).as(domain)
                    .isEqualTo("SENT");
        }
        assertThat(primary().received()).hasSize(2);
    }

    /**
     * CONTRACT 9.3: a job whose records could not be written is INVALID before any session, and the pipeline goes on.
     * The idempotency topic is set to what a broker with Kafka's defaults gives a topic created without
     * {@code max.message.bytes} (1048588 bytes; the test broker's default is 16 MiB): 1.5 MB of metadata, echoed in
     * the completion and the result, could never be written there.
     */
    @Test
    void answersAJobWhoseRecordsCouldNotBeWrittenTooLargeBeforeAnySessionAndSendsTheNextOne() {
        // ready: the router has created its topics and started its intake
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> RestAssured.get("/q/health/ready").statusCode() == 200);
        String previous = RouterTestResources.kafka().maxMessageBytes(IDEMPOTENCY);
        RouterTestResources.kafka().setMaxMessageBytes(IDEMPOTENCY, "1048588");
        try {
            String jobId = Jobs.newJobId("huge-metadata");
            ObjectNode job = Jobs.job(jobId);
            ObjectNode metadata = job.putObject("metadata");
            for (int i = 0; i < 150; i++) {
                metadata.put("note" + i, "x".repeat(10_000));
            }
            String json = Jobs.json(job);
            assertThat(json.length()).isGreaterThan(1_500_000);
            kafka.sendJob(jobId, json);

            JsonNode result = kafka.awaitResult(jobId, Duration.ofSeconds(30));
            assertThat(result.path("status").asText()).isEqualTo("INVALID");
            assertThat(result.path("error").path("code").asText()).isEqualTo("TOO_LARGE");
            assertThat(result.path("error").path("message").asText()).contains("metadata");
            assertThat(result.path("metadata").size()).as("metadata too large to echo").isZero();
            ConsumerRecord<byte[], byte[]> dead = awaitDeadLetter(jobId);
            assertThat(new String(dead.value(), StandardCharsets.UTF_8)).isEqualTo(json);
            assertThat(KafkaTestClient.header(dead, "error.code")).isEqualTo("TOO_LARGE");
            assertThat(kafka.attempts(jobId)).as("no SMTP session").isEmpty();
            String messageId = MessageIds.of(jobId, "router.test");
            assertThat(primary().received()).noneMatch(m -> m.text().contains(messageId));
            assertThat(fallback().received()).noneMatch(m -> m.text().contains(messageId));

            String next = Jobs.newJobId("after-huge-metadata");
            kafka.sendJob(next, Jobs.json(Jobs.job(next)));
            assertThat(kafka.awaitResult(next, Duration.ofSeconds(30)).path("status").asText()).isEqualTo("SENT");
        } finally {
            RouterTestResources.kafka().setMaxMessageBytes(IDEMPOTENCY, previous);
        }
    }

    private static ConsumerRecord<byte[], byte[]> awaitDeadLetter(String jobId) {
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !kafka.on("email.dlq", jobId).isEmpty());
        List<ConsumerRecord<byte[], byte[]>> dead = kafka.on("email.dlq", jobId);
        assertThat(dead).hasSize(1);
        return dead.get(0);
    }
}
