package io.submissionrouter.demo;

import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Contender 0 of the benchmark, the ceiling: no Kafka, only SMTP. A plain Angus Mail client whose threads each keep
 * one authenticated STARTTLS session and send message after message on it, as fast as the server answers.
 * <p>
 * Runs in its own JVM ({@code RawSmtpClient <host> <port> <sessions>}) and takes commands on standard input, one
 * a line, answering on standard output: {@code send <count>} answers {@code sent <nanoseconds>};
 * {@code paced <count> <perSecond>} sends message i at i / perSecond seconds from the start and answers
 * {@code latencies <p50 ms> <p99 ms>}, each latency from when a message was due to when the server accepted it.
 */
public final class RawSmtpClient {

    private final Session session;
    private final int sessions;
    private final ExecutorService threads;
    private final ThreadLocal<Transport> transport = new ThreadLocal<>();

    private RawSmtpClient(String host, int port, int sessions) {
        this.session = Session.getInstance(SmtpClientSettings.properties(host, port));
        this.sessions = sessions;
        this.threads = Executors.newFixedThreadPool(sessions);
    }

    public static void main(String[] args) throws Exception {
        ChildJvm.quietLogging();
        RawSmtpClient client = new RawSmtpClient(args[0], Integer.parseInt(args[1]), Integer.parseInt(args[2]));
        BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line = commands.readLine(); line != null && !line.equals("quit"); line = commands.readLine()) {
            String[] words = line.split(" ");
            if (words[0].equals("send")) {
                long start = System.nanoTime();
                client.send(Integer.parseInt(words[1]), 0);
                ChildJvm.answer("sent " + (System.nanoTime() - start));
            } else if (words[0].equals("paced")) {
                long[] latencies = client.send(Integer.parseInt(words[1]), Double.parseDouble(words[2]));
                ChildJvm.answer(String.format("latencies %.1f %.1f", Percentiles.of(latencies, 50) / 1e6,
                        Percentiles.of(latencies, 99) / 1e6));
            }
        }
        client.threads.shutdownNow();
        System.exit(0);
    }

    /**
     * Sends {@code count} messages over all sessions, message i not before i / perSecond seconds (0: at once), and
     * returns each one's latency in nanoseconds, from when it was due.
     */
    private long[] send(int count, double perSecond) throws Exception {
        long[] latencies = new long[count];
        AtomicInteger next = new AtomicInteger();
        long start = System.nanoTime();
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < sessions; t++) {
            done.add(threads.submit(() -> {
                for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
                    long due = perSecond == 0 ? System.nanoTime() : start + (long) (i * 1e9 / perSecond);
                    for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
                        LockSupport.parkNanos(wait);
                    }
                    sendOne(i);
                    latencies[i] = System.nanoTime() - due;
                }
                return null;
            }));
        }
        for (Future<?> f : done) {
            f.get();
        }
        return latencies;
    }

    /**
     * One message on this thread's kept session, opened (EHLO, STARTTLS, EHLO, AUTH) when it has none. Nothing is
     * checked before a message: Angus's {@code isConnected()} would cost a NOOP, a round trip, every time.
     */
    private void sendOne(int i) throws MessagingException {
        Transport t = transport.get();
        if (t == null) {
            t = session.getTransport("smtp");
            t.connect(SmtpClientSettings.USER, SmtpClientSettings.PASSWORD);
            transport.set(t);
        }
        MimeMessage m = new MimeMessage(session);
        m.setFrom(new InternetAddress("Shop <noreply@shop.example>"));
        m.setRecipients(MimeMessage.RecipientType.TO, "ada@example.org");
        m.setSubject("Your order raw-" + i, "UTF-8");
        m.setText("Thanks for your order.", "UTF-8");
        m.saveChanges();
        t.sendMessage(m, m.getAllRecipients());
    }
}
