package io.submissionrouter.output;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.idempotency.CompletedJobs;
import io.submissionrouter.job.JobReader;
import io.submissionrouter.job.JobRejection;
import io.submissionrouter.job.JobValidator;
import io.submissionrouter.job.ValidJob;
import io.submissionrouter.kafka.Topics;
import io.submissionrouter.pass.SourceRecord;
import io.submissionrouter.results.EndpointRef;
import io.submissionrouter.retry.RetryTopics;
import io.submissionrouter.testing.DefaultSettings;
import io.submissionrouter.testing.EmbeddedKafka;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The topics the router writes, sized at startup against a real broker (CONTRACT 9.3): each missing one created with
 * what the largest job within the limits needs, an existing one that takes less refused with one line naming the
 * topic, its setting and the value it needs, and each job then checked against what the topics took.
 */
class OutputTopicsTest {

    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
    /** What a topic created without max.message.bytes takes on a broker with Kafka's defaults. */
    private static final long KAFKA_DEFAULT = 1_048_588;
    private static EmbeddedKafka kafka;
    private static CamelContext camel;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafka.start();
        camel = new DefaultCamelContext();
        camel.start();
    }

    @AfterAll
    static void stop() {
        camel.stop();
        kafka.close();
    }

    private static Properties client() {
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        return p;
    }

    /** The router's topics under {@code prefix}, with the default limits and one retry tier. */
    private static OutputTopics topics(String prefix) {
        SubmissionConfig config = DefaultSettings.of(SubmissionConfig.class, Map.of(
                "topics.jobs", prefix + ".jobs", "topics.results", prefix + ".results",
                "topics.attempts", prefix + ".attempts", "topics.dlq", prefix + ".dlq",
                "topics.retry", prefix + ".retry", "topics.idempotency", prefix + ".completed",
                "retry.delays", List.of(Duration.ofSeconds(30))));
        return new OutputTopics(config, JSON, Set.of("default"), List.of(new EndpointRef("primary", "smtp.example.net",
                587)), new RetryTopics(config, Set.of("default")),
                new CompletedJobs(JSON, camel, config, new SimpleMeterRegistry()), 16384);
    }

    /** A jobs topic as operators often leave it: Kafka's default. */
    private static Topics.JobsTopic jobsTopic(String prefix) throws Exception {
        kafka.createTopic(prefix + ".jobs", 2);
        kafka.setMaxMessageBytes(prefix + ".jobs", String.valueOf(KAFKA_DEFAULT));
        return Topics.describeJobs(client(), prefix + ".jobs");
    }

    @Test
    void createsEachMissingTopicWithWhatTheLargestJobWithinTheLimitsNeeds() throws Exception {
        OutputTopics topics = topics("created");
        topics.prepare(client(), jobsTopic("created"));
        List<OutputTopics.Need> needs = topics.needs(KAFKA_DEFAULT);
        assertThat(needs).extracting(OutputTopics.Need::topic).containsExactly("created.completed", "created.results",
                "created.attempts", "created.dlq", "created.retry-30s", "created.retry-wait-default");
        for (OutputTopics.Need n : needs) {
            assertThat(kafka.maxMessageBytes(n.topic())).as(n.topic()).isEqualTo(String.valueOf(n.bytes()));
        }
        // a dead letter is the job's record with its headers; a retry record adds the state of every recipient
        assertThat(need(needs, "created.dlq")).isGreaterThan(KAFKA_DEFAULT).isLessThan(KAFKA_DEFAULT + 8 * 1024);
        assertThat(need(needs, "created.retry-30s")).isGreaterThan(need(needs, "created.dlq"));
        assertThat(need(needs, "created.completed")).isLessThan(KAFKA_DEFAULT);
        assertThat(need(needs, "created.attempts")).as("a batch of the producer's").isEqualTo(16384);
    }

    @Test
    void refusesAnExistingTopicThatTakesLessThanItNeedsInOneLineNamingTopicAndSetting() throws Exception {
        OutputTopics topics = topics("small");
        Topics.JobsTopic jobs = jobsTopic("small");
        // a dead-letter topic made like the jobs topic: a dead letter of a job as large as that is larger
        kafka.createTopic("small.dlq", 2);
        kafka.setMaxMessageBytes("small.dlq", String.valueOf(KAFKA_DEFAULT));
        long needed = need(topics.needs(KAFKA_DEFAULT), "small.dlq");

        assertThatThrownBy(() -> topics.prepare(client(), jobs)).isInstanceOfSatisfying(TopicTooSmallException.class,
                e -> assertThat(e.getMessage())
                        .startsWith("Topic small.dlq (submission.topics.dlq) takes records of up to 1048588 bytes "
                                + "(max.message.bytes); it must take " + needed + ": a dead letter of a job as large as "
                                + "small.jobs takes (1048588 bytes) with its headers")
                        .contains("--entity-name small.dlq --add-config max.message.bytes=" + needed)
                        .doesNotContain("\n"));

        // once an operator raised it, the next attempt goes through
        kafka.setMaxMessageBytes("small.dlq", String.valueOf(needed));
        topics.prepare(client(), jobs);
    }

    @Test
    void raisesItsOwnTopicsThatAnEarlierVersionMadeTooSmall() throws Exception {
        OutputTopics topics = topics("older");
        Topics.JobsTopic jobs = jobsTopic("older");
        // as versions before CONTRACT 9.3 made them: the jobs topic's size plus 64 KiB
        for (String own : List.of("older.retry-30s", "older.retry-wait-default", "older.completed")) {
            kafka.createTopic(own, 2);
            kafka.setMaxMessageBytes(own, String.valueOf(KAFKA_DEFAULT + 65536));
        }
        topics.prepare(client(), jobs);
        List<OutputTopics.Need> needs = topics.needs(KAFKA_DEFAULT);
        assertThat(kafka.maxMessageBytes("older.retry-30s")).isEqualTo(String.valueOf(need(needs, "older.retry-30s")));
        assertThat(kafka.maxMessageBytes("older.retry-wait-default"))
                .isEqualTo(String.valueOf(need(needs, "older.retry-wait-default")));
        assertThat(kafka.maxMessageBytes("older.completed")).as("large enough already: left as it was")
                .isEqualTo(String.valueOf(KAFKA_DEFAULT + 65536));
    }

    @Test
    void takesTheBrokersDefaultForAJobsTopicThatDoesNotExistYet() throws Exception {
        OutputTopics topics = topics("nojobs");
        topics.prepare(client(), Topics.describeJobs(client(), "nojobs.jobs"));
        long brokerDefault = Topics.brokerMaxMessageBytes(client());
        assertThat(brokerDefault).as("the test broker's message.max.bytes").isEqualTo(16 * 1024 * 1024);
        assertThat(kafka.maxMessageBytes("nojobs.dlq"))
                .isEqualTo(String.valueOf(need(topics.needs(brokerDefault), "nojobs.dlq")));
    }

    @Test
    void answersAJobWhoseRecordsCouldNotBeWrittenWhereTheTopicsStandTooLarge() throws Exception {
        OutputTopics topics = topics("check");
        topics.prepare(client(), jobsTopic("check"));
        topics.check(job("{}"), source(1000));
        // a megabyte of metadata, past max-metadata-bytes (the intake refuses it before): its completion could not fit
        StringBuilder metadata = new StringBuilder("{");
        for (int i = 0; i < 64; i++) {
            metadata.append(i == 0 ? "" : ",").append("\"note").append(i).append("\":\"").append("x".repeat(16_000))
                    .append('"');
        }
        metadata.append('}');
        assertThatThrownBy(() -> topics.check(job(metadata.toString()), source(1000)))
                .isInstanceOfSatisfying(JobRejection.class, r -> {
                    assertThat(r.code()).isEqualTo(JobRejection.TOO_LARGE);
                    assertThat(r.getMessage()).contains("completion record").contains("check.completed")
                            .contains("max.message.bytes " + kafka.maxMessageBytes("check.completed"));
                });
    }

    /**
     * A record larger than the jobs topic took at startup (its producer compressed it, or the topic was raised since)
     * is not a reason to refuse the job: INVALID would write the same bytes as a dead letter. Its dead letter and
     * retry record are then larger than their topics must take, which is what the places that write them look at.
     */
    @Test
    void doesNotRefuseAJobForItsOwnRecordLargerThanTheJobsTopicTook() throws Exception {
        OutputTopics topics = topics("own");
        topics.prepare(client(), jobsTopic("own"));
        SourceRecord large = source(KAFKA_DEFAULT + 8 * 1024);
        topics.check(job("{}"), large);

        assertThat(topics.deadLetterNeed()).isEqualTo(need(topics.needs(KAFKA_DEFAULT), "own.dlq"));
        assertThat(topics.deadLetterBytes(source(1000), "j-1")).isLessThan(topics.deadLetterNeed());
        assertThat(topics.deadLetterBytes(large, "j-1")).isGreaterThan(topics.deadLetterNeed());
        assertThat(topics.retryTakes()).hasValue(Long.parseLong(kafka.maxMessageBytes("own.retry-30s")));
        assertThat(topics.retryRecordBytes(source(1000), "default", 2000)).isLessThan(topics.retryTakes().getAsLong());
        assertThat(topics.retryRecordBytes(source(need(topics.needs(KAFKA_DEFAULT), "own.retry-30s")), "default", 0))
                .isGreaterThan(topics.retryTakes().getAsLong());
    }

    private static long need(List<OutputTopics.Need> needs, String topic) {
        return needs.stream().filter(n -> n.topic().equals(topic)).findFirst().orElseThrow().bytes();
    }

    private static ValidJob job(String metadata) throws JobRejection {
        String json = "{\"jobId\":\"j-1\",\"from\":\"a@shop.example\",\"to\":[\"ada@example.org\"],\"subject\":\"Hi\","
                + "\"text\":\"Hello\",\"metadata\":" + metadata + "}";
        return new JobValidator(new JobValidator.Limits(100, 50, Set.of()), Optional.empty(), Set.of("default"))
                .validate(new JobReader(JSON).read(json.getBytes(StandardCharsets.UTF_8)));
    }

    private static SourceRecord source(long valueBytes) {
        return new SourceRecord("check.jobs", 0, 1, Instant.now(), "j-1".getBytes(StandardCharsets.UTF_8),
                new byte[(int) valueBytes], null);
    }
}
