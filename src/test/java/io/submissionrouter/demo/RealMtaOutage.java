package io.submissionrouter.demo;

import com.fasterxml.jackson.databind.JsonNode;
import io.submissionrouter.job.MessageIds;
import io.submissionrouter.testing.EmbeddedKafka;
import io.submissionrouter.testing.Jobs;
import io.submissionrouter.testing.KafkaTestClient;
import io.submissionrouter.testing.RouterProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Run by {@code bench/real-mta-outage.sh}, as a new user would try the router: the packaged app, configured
 * by environment variables only, against Postfix (STARTTLS required, SASL AUTH) on 127.0.0.1:587 and :2525.
 * Both endpoints go dark (iptables drops every packet) for minutes while jobs keep coming; meanwhile the router
 * is killed with SIGKILL and restarted, then stopped with SIGTERM and restarted. When the endpoints are back,
 * every job must be delivered once; resubmitted jobIds must come back {@code DUPLICATE} and not be sent. The
 * mailbox is the judge: Message-IDs are counted in {@code /var/mail/demo}.
 */
public final class RealMtaOutage {

    private static final Path MAILBOX = Path.of("/var/mail/demo");
    private static final Pattern MESSAGE_ID = Pattern.compile("(?im)^Message-ID:\\s*(<[^>]+>)");

    private RealMtaOutage() {
    }

    public static void main(String[] args) throws Exception {
        Duration outage = Duration.ofSeconds(Long.parseLong(System.getenv().getOrDefault("OUTAGE_SECONDS", "150")));
        String run = "outage-" + Instant.now().getEpochSecond() + "-";
        try (EmbeddedKafka kafka = EmbeddedKafka.start();
                KafkaTestClient client = new KafkaTestClient(kafka.bootstrapServers(),
                        List.of("email.results", "email.dlq", "email.jobs.retry-wait-default"))) {
            RouterProcess router = RouterProcess.forLocalMta(kafka, Map.of(
                    "SUBMISSION_SMTP_CONNECT_TIMEOUT", "2s",
                    "SUBMISSION_BREAKER_OPEN_DURATION", "10s",
                    "SUBMISSION_DNS_MX_CHECK", "off"), Path.of("target/real-mta-outage-router.log"));
            router.start();
            List<String> jobIds = new ArrayList<>();
            send(client, run + "before-", 10, jobIds);
            await(client, jobIds, Duration.ofSeconds(60));
            log("10 jobs sent with both endpoints up");

            firewall("-A");
            Instant dark = Instant.now();
            try {
                log("587 and 2525 dark (iptables DROP) for " + outage.toSeconds() + " s");
                send(client, run + "dark-a-", 20, jobIds);
                Thread.sleep(outage.toMillis() / 3);
                router.kill();
                log("router killed with SIGKILL; restarting");
                router.start();
                send(client, run + "dark-b-", 20, jobIds);
                Thread.sleep(outage.toMillis() / 3);
                log("router stopped with SIGTERM (exit " + router.terminate(Duration.ofSeconds(60)) + "); restarting");
                router.start();
                send(client, run + "dark-c-", 20, jobIds);
                long parked = jobIds.stream().filter(id -> id.contains("dark-"))
                        .filter(id -> !client.on("email.jobs.retry-wait-default", id).isEmpty()).count();
                long resolved = jobIds.stream().filter(id -> id.contains("dark-"))
                        .filter(id -> !client.on("email.results", id).isEmpty()).count();
                log(parked + " of 60 jobs sent during the outage seen in the waiting topic; " + resolved
                        + " with a result while dark");
                Thread.sleep(Math.max(0, outage.toMillis() - Duration.between(dark, Instant.now()).toMillis()));
            } finally {
                firewall("-D");
            }
            log("endpoints back after " + Duration.between(dark, Instant.now()).toSeconds() + " s");
            await(client, jobIds, Duration.ofMinutes(3));
            log("every job has a result " + Duration.between(dark, Instant.now()).toSeconds() + " s after going dark");

            List<String> again = jobIds.subList(0, 5).stream().toList();
            again.forEach(id -> client.sendJob(id, Jobs.json(Jobs.job(id))));
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60))
                    .until(() -> again.stream().allMatch(id -> client.on("email.results", id).size() == 2));
            router.terminate(Duration.ofSeconds(60));
            Thread.sleep(3000); // local delivery into the mailbox
            report(client, jobIds, again);
        }
    }

    private static void send(KafkaTestClient client, String prefix, int n, List<String> jobIds) {
        for (int i = 1; i <= n; i++) {
            String jobId = prefix + i;
            jobIds.add(jobId);
            client.sendJob(jobId, Jobs.json(Jobs.job(jobId)));
        }
    }

    private static void await(KafkaTestClient client, List<String> jobIds, Duration within) {
        org.awaitility.Awaitility.await().atMost(within).pollInterval(Duration.ofSeconds(1))
                .until(() -> jobIds.stream().allMatch(id -> !client.on("email.results", id).isEmpty()));
    }

    private static void report(KafkaTestClient client, List<String> jobIds, List<String> resubmitted)
            throws IOException {
        Map<String, Integer> copies = new TreeMap<>();
        Matcher m = MESSAGE_ID.matcher(Files.readString(MAILBOX, StandardCharsets.ISO_8859_1));
        while (m.find()) {
            copies.merge(m.group(1), 1, Integer::sum);
        }
        Map<String, Integer> firstStatus = new TreeMap<>();
        int lost = 0;
        int twice = 0;
        for (String jobId : jobIds) {
            JsonNode first = KafkaTestClient.json(client.on("email.results", jobId).get(0));
            firstStatus.merge(first.path("status").asText(), 1, Integer::sum);
            int n = copies.getOrDefault(MessageIds.of(jobId, "mta.test"), 0);
            lost += n == 0 ? 1 : 0;
            twice += Math.max(0, n - 1);
        }
        long duplicates = resubmitted.stream().map(id -> KafkaTestClient.json(client.on("email.results", id).get(1)))
                .filter(r -> r.path("status").asText().equals("DUPLICATE")).count();
        log("jobs: " + jobIds.size() + "; first results by status: " + firstStatus);
        log("in the mailbox: missing " + lost + ", extra copies " + twice);
        log("resubmitted jobIds answered DUPLICATE: " + duplicates + " of " + resubmitted.size());
        if (lost > 0 || duplicates != resubmitted.size()) {
            throw new IllegalStateException("not every job was accounted for");
        }
    }

    private static void firewall(String op) throws IOException, InterruptedException {
        for (String port : List.of("587", "2525")) {
            new ProcessBuilder("iptables", op, "INPUT", "-i", "lo", "-p", "tcp", "--dport", port, "-j", "DROP")
                    .inheritIO().start().waitFor();
        }
    }

    private static void log(String line) {
        System.out.printf("[%s] %s%n", Instant.now(), line);
    }
}
