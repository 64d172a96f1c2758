package io.submissionrouter.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.concurrent.CountDownLatch;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.impl.DefaultCamelContext;

/**
 * Contender (c) of the benchmark: the route a team writes first with Camel, {@code kafka:} to {@code smtp:} to
 * {@code kafka:}, on camel-mail's default sender (a new connection, STARTTLS and AUTH for every message). Fair to
 * it: one consumer per partition of the jobs topic, and the same STARTTLS and AUTH settings as the others.
 * <p>
 * {@code NaiveCamelMail <bootstrap> <jobs topic> <results topic> <group> <smtp host> <smtp port> <consumers>};
 * runs until SIGTERM.
 */
public final class NaiveCamelMail {

    private static final ObjectMapper JSON = new ObjectMapper();

    private NaiveCamelMail() {
    }

    public static void main(String[] args) throws Exception {
        ChildJvm.quietLogging();
        String brokers = args[0];
        CamelContext camel = new DefaultCamelContext();
        camel.getRegistry().bind("mailProperties", SmtpClientSettings.properties(args[4], Integer.parseInt(args[5])));
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("kafka:" + args[1] + "?brokers=" + brokers + "&groupId=" + args[3]
                        + "&autoOffsetReset=earliest&consumersCount=" + args[6]
                        + "&valueDeserializer=org.apache.kafka.common.serialization.StringDeserializer")
                        .process(e -> {
                            JsonNode job = JSON.readTree(e.getMessage().getBody(String.class));
                            e.setProperty("jobId", job.path("jobId").asText());
                            e.getMessage().setHeader("From", job.path("from").asText());
                            e.getMessage().setHeader("To", job.path("to").get(0).asText());
                            e.getMessage().setHeader("Subject", job.path("subject").asText());
                            e.getMessage().setBody(job.path("text").asText());
                        })
                        .to("smtp://" + args[4] + ":" + args[5] + "?username=" + SmtpClientSettings.USER
                                + "&password=" + SmtpClientSettings.PASSWORD
                                + "&additionalJavaMailProperties=#mailProperties")
                        .process(e -> {
                            String jobId = e.getProperty("jobId", String.class);
                            e.getMessage().removeHeaders("*");
                            e.getMessage().setHeader(KafkaConstants.KEY, jobId);
                            e.getMessage().setBody(JSON.createObjectNode().put("jobId", jobId)
                                    .put("status", "SENT").toString());
                        })
                        .to("kafka:" + args[2] + "?brokers=" + brokers);
            }
        });
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            camel.stop();
            stopped.countDown();
        }));
        camel.start();
        stopped.await();
    }
}
