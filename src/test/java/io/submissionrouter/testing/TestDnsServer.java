package io.submissionrouter.testing;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * A real DNS server for tests, on a UDP port of 127.0.0.1, answering from what a test declares per domain:
 * MX records, a null MX (RFC 7505), only an A or AAAA record, NXDOMAIN, NODATA, SERVFAIL, no answer at all,
 * or records a test gives (SRV, for instance).
 * Names nobody declared get {@link #otherwise}. Counts the queries per name and type, to see caching.
 */
public final class TestDnsServer implements AutoCloseable {

    /** What the server answers for a domain. */
    public enum Answer { MX, NULL_MX, A_ONLY, AAAA_ONLY, NXDOMAIN, NODATA, SERVFAIL, SILENT }

    private static final long TTL = 300;

    private final DatagramSocket socket;
    private final Map<String, Answer> answers = new ConcurrentHashMap<>();
    private final Map<String, List<Record>> records = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> queries = new ConcurrentHashMap<>();
    private volatile Answer otherwise = Answer.MX;
    private final Thread thread;

    private TestDnsServer() throws SocketException {
        socket = new DatagramSocket(0, InetAddress.getLoopbackAddress());
        thread = new Thread(this::serve, "test-dns");
        thread.setDaemon(true);
        thread.start();
    }

    public static TestDnsServer start() {
        try {
            return new TestDnsServer();
        } catch (SocketException e) {
            throw new IllegalStateException("cannot open a UDP port for the test DNS server", e);
        }
    }

    /** {@code host:port}, as {@code submission.dns.servers} takes it. */
    public String address() {
        return "127.0.0.1:" + socket.getLocalPort();
    }

    public TestDnsServer answer(String domain, Answer answer) {
        answers.put(key(domain), answer);
        return this;
    }

    /** Answers queries for {@code name} with exactly these records (those of the type asked; none: NODATA). */
    public TestDnsServer records(String name, Record... answer) {
        records.put(key(name), List.of(answer));
        return this;
    }

    /** The answer for names nobody declared (MX by default, so every test address has a mail server). */
    public TestDnsServer otherwise(Answer answer) {
        this.otherwise = answer;
        return this;
    }

    /** Queries received for {@code domain} of {@code type} ("MX", "A", "AAAA"). */
    public int queries(String domain, String type) {
        AtomicInteger n = queries.get(key(domain) + "/" + type);
        return n == null ? 0 : n.get();
    }

    private static String key(String domain) {
        String d = domain.toLowerCase(Locale.ROOT);
        return d.endsWith(".") ? d : d + ".";
    }

    private void serve() {
        byte[] buffer = new byte[512];
        while (!socket.isClosed()) {
            try {
                DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                socket.receive(packet);
                byte[] reply = reply(new Message(java.util.Arrays.copyOf(packet.getData(), packet.getLength())));
                if (reply != null) {
                    socket.send(new DatagramPacket(reply, reply.length, packet.getSocketAddress()));
                }
            } catch (IOException e) {
                // closed, or a malformed query: go on until closed
            }
        }
    }

    private byte[] reply(Message query) throws IOException {
        Record question = query.getQuestion();
        Name name = question.getName();
        int type = question.getType();
        queries.computeIfAbsent(key(name.toString()) + "/" + Type.string(type), k -> new AtomicInteger()).incrementAndGet();
        List<Record> declared = records.get(key(name.toString()));
        Answer answer = declared != null ? Answer.NODATA : answers.getOrDefault(key(name.toString()), otherwise);
        if (answer == Answer.SILENT) {
            return null;
        }
        Message response = new Message(query.getHeader().getID());
        response.getHeader().setFlag(Flags.QR);
        response.getHeader().setFlag(Flags.AA);
        response.getHeader().setFlag(Flags.RA);
        if (query.getHeader().getFlag(Flags.RD)) {
            response.getHeader().setFlag(Flags.RD);
        }
        response.addRecord(question, Section.QUESTION);
        if (declared != null) {
            declared.stream().filter(r -> r.getType() == type).forEach(r -> response.addRecord(r, Section.ANSWER));
        }
        switch (answer) {
            case NXDOMAIN -> response.getHeader().setRcode(Rcode.NXDOMAIN);
            case SERVFAIL -> response.getHeader().setRcode(Rcode.SERVFAIL);
            case NODATA -> { }
            case MX -> {
                if (type == Type.MX) {
                    response.addRecord(new MXRecord(name, DClass.IN, TTL, 10, Name.fromString("mx1." + name)),
                            Section.ANSWER);
                } else if (type == Type.A) {
                    response.addRecord(new ARecord(name, DClass.IN, TTL, InetAddress.getByName("192.0.2.10")),
                            Section.ANSWER);
                }
            }
            case NULL_MX -> {
                if (type == Type.MX) {
                    response.addRecord(new MXRecord(name, DClass.IN, TTL, 0, Name.root), Section.ANSWER);
                }
            }
            case A_ONLY -> {
                if (type == Type.A) {
                    response.addRecord(new ARecord(name, DClass.IN, TTL, InetAddress.getByName("192.0.2.20")),
                            Section.ANSWER);
                }
            }
            case AAAA_ONLY -> {
                if (type == Type.AAAA) {
                    response.addRecord(new AAAARecord(name, DClass.IN, TTL, InetAddress.getByName("2001:db8::20")),
                            Section.ANSWER);
                }
            }
            default -> throw new IllegalStateException(answer.name());
        }
        return response.toWire();
    }

    @Override
    public void close() {
        socket.close();
    }
}
