package io.submissionrouter.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.angus.mail.smtp.SMTPTransport;

/**
 * Contender (a) of the benchmark: the pipeline a competent user writes by hand instead of the router, with plain
 * Kafka clients and Angus Mail. One consumer (manual commits) hands each poll's jobs to a pool of threads, each
 * keeping its own authenticated STARTTLS session; as each job is sent, its result and a completion record go out
 * through one idempotent producer (acks=all); once the poll's jobs are done, the producer is flushed and the poll
 * committed, once. At least once, like the router; no validation, retries, failover or idempotency store.
 * <p>
 * {@code HandWrittenPipeline <bootstrap> <jobs topic> <results topic> <completions topic> <group> <smtp host>
 * <smtp port> <sessions>}; runs until SIGTERM.
 */
public final class HandWrittenPipeline {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final KafkaConsumer<String, String> consumer;
    private final KafkaProducer<String, String> producer;
    private final String resultsTopic;
    private final String completionsTopic;
    private final Session session;
    private final ExecutorService senders;
    /** Each sender thread's own SMTP session: a Transport is not thread safe. */
    private final ThreadLocal<SMTPTransport> transport = new ThreadLocal<>();
    /** The first result or completion Kafka refused: nothing is committed after it. */
    private final AtomicReference<Exception> failedWrite = new AtomicReference<>();

    private HandWrittenPipeline(String[] args) {
        String bootstrap = args[0];
        consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, args[4],
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500),
                new StringDeserializer(), new StringDeserializer());
        producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, 5),
                new StringSerializer(), new StringSerializer());
        consumer.subscribe(List.of(args[1]));
        resultsTopic = args[2];
        completionsTopic = args[3];
        session = Session.getInstance(SmtpClientSettings.properties(args[5], Integer.parseInt(args[6])));
        senders = Executors.newFixedThreadPool(Integer.parseInt(args[7]));
    }

    public static void main(String[] args) throws Exception {
        ChildJvm.quietLogging();
        HandWrittenPipeline pipeline = new HandWrittenPipeline(args);
        Thread main = Thread.currentThread();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            pipeline.consumer.wakeup();
            try {
                main.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        pipeline.run();
    }

    private void run() throws InterruptedException, ExecutionException {
        try {
            while (true) {
                ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(500));
                if (records.isEmpty()) {
                    continue;
                }
                List<Future<?>> jobs = new ArrayList<>(records.count());
                for (ConsumerRecord<String, String> record : records) {
                    jobs.add(senders.submit(() -> process(record)));
                }
                for (Future<?> job : jobs) {
                    job.get();
                }
                producer.flush();
                if (failedWrite.get() != null) {
                    throw new IllegalStateException("Kafka refused a result; the poll is not committed",
                            failedWrite.get());
                }
                consumer.commitSync();
            }
        } catch (WakeupException stopping) {
            // SIGTERM: what was not committed is read again by the next run
        } finally {
            senders.shutdownNow();
            consumer.close();
            producer.close();
        }
    }

    /** Sends one job and writes its result and completion (asynchronously; the poll's flush waits for them). */
    private void process(ConsumerRecord<String, String> record) {
        ObjectNode result = JSON.createObjectNode();
        result.put("jobId", record.key());
        try {
            MimeMessage message = message(JSON.readTree(record.value()));
            SMTPTransport smtp = send(message);
            result.put("status", "SENT");
            result.put("messageId", message.getMessageID());
            result.put("smtpCode", smtp.getLastReturnCode());
            result.put("smtpReply", smtp.getLastServerResponse());
        } catch (IOException | MessagingException | RuntimeException e) {
            result.put("status", "FAILED");
            result.put("error", String.valueOf(e.getMessage()));
        }
        result.put("at", Instant.now().toString());
        String value = result.toString();
        producer.send(new ProducerRecord<>(resultsTopic, record.key(), value), this::written);
        producer.send(new ProducerRecord<>(completionsTopic, record.key(), value), this::written);
    }

    private void written(Object metadata, Exception failure) {
        if (failure != null) {
            failedWrite.compareAndSet(null, failure);
        }
    }

    /**
     * Sends on this thread's session, opened (EHLO, STARTTLS, EHLO, AUTH) when it has none. Nothing is checked before
     * a message (Angus's {@code isConnected()} costs a NOOP, a round trip); when a kept session fails and turns out to
     * be closed (the server closed it while idle, say), a new one takes the same message, once.
     */
    private SMTPTransport send(MimeMessage message) throws MessagingException {
        SMTPTransport smtp = transport.get();
        if (smtp == null) {
            smtp = connect();
            smtp.sendMessage(message, message.getAllRecipients());
            return smtp;
        }
        try {
            smtp.sendMessage(message, message.getAllRecipients());
        } catch (MessagingException e) {
            if (smtp.isConnected()) {
                throw e; // the server refused the message, the session is fine
            }
            smtp = connect();
            smtp.sendMessage(message, message.getAllRecipients());
        }
        return smtp;
    }

    private SMTPTransport connect() throws MessagingException {
        SMTPTransport smtp = (SMTPTransport) session.getTransport("smtp");
        smtp.connect(SmtpClientSettings.USER, SmtpClientSettings.PASSWORD);
        transport.set(smtp);
        return smtp;
    }

    /** The email of a job: from, to, cc, bcc, subject, and text or html or both (multipart/alternative). */
    private MimeMessage message(JsonNode job) throws MessagingException {
        MimeMessage m = new MimeMessage(session);
        m.setFrom(new InternetAddress(job.path("from").asText(), true));
        addRecipients(m, Message.RecipientType.TO, job.path("to"));
        addRecipients(m, Message.RecipientType.CC, job.path("cc"));
        addRecipients(m, Message.RecipientType.BCC, job.path("bcc"));
        m.setSubject(job.path("subject").asText(), "UTF-8");
        String text = job.path("text").asText(null);
        String html = job.path("html").asText(null);
        if (html == null) {
            m.setText(text == null ? "" : text, "UTF-8");
        } else {
            MimeMultipart alternative = new MimeMultipart("alternative");
            if (text != null) {
                MimeBodyPart plain = new MimeBodyPart();
                plain.setText(text, "UTF-8");
                alternative.addBodyPart(plain);
            }
            MimeBodyPart rich = new MimeBodyPart();
            rich.setText(html, "UTF-8", "html");
            alternative.addBodyPart(rich);
            m.setContent(alternative);
        }
        m.saveChanges();
        return m;
    }

    private static void addRecipients(MimeMessage m, Message.RecipientType type, JsonNode addresses)
            throws MessagingException {
        for (JsonNode address : addresses) {
            m.addRecipient(type, new InternetAddress(address.asText(), true));
        }
    }
}
