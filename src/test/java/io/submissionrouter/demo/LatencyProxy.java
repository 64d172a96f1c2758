package io.submissionrouter.demo;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A loopback TCP proxy that puts a network between a client and an SMTP server: every chunk of bytes is
 * delivered a fixed delay after it was read, in each direction, so a round trip costs twice the delay (25 ms
 * each way: the 50 ms of a provider in another region).
 * <p>
 * Each direction of each connection has its own queue of chunks stamped with when they are due, and its own
 * writer that waits for the head's due time. Chunks keep their order, and a chunk read 1 ms after another is due
 * 1 ms after it: the delay is latency, never a sleep that serialises the chunks behind one another. A new
 * connection reaches the server after one round trip (the TCP handshake of a real network), so its greeting
 * arrives 1.5 round trips after the client connected, as it would.
 */
public final class LatencyProxy implements AutoCloseable {

    private static final byte[] END = new byte[0];

    private final ServerSocket listener;
    private final int targetPort;
    private final long delayNanos;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "latency-proxy");
        t.setDaemon(true);
        return t;
    });

    private LatencyProxy(ServerSocket listener, int targetPort, Duration oneWay) {
        this.listener = listener;
        this.targetPort = targetPort;
        this.delayNanos = oneWay.toNanos();
    }

    /** Listens on a free loopback port and forwards to {@code targetPort} on loopback, {@code oneWay} each way. */
    public static LatencyProxy start(int targetPort, Duration oneWay) throws IOException {
        LatencyProxy proxy = new LatencyProxy(new ServerSocket(0, 200, InetAddress.getLoopbackAddress()),
                targetPort, oneWay);
        proxy.threads.execute(proxy::accept);
        return proxy;
    }

    public int port() {
        return listener.getLocalPort();
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                threads.execute(() -> connect(client));
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void connect(Socket client) {
        open.add(client);
        try {
            LockSupport.parkNanos(2 * delayNanos); // SYN, SYN-ACK
            Socket server = new Socket(InetAddress.getLoopbackAddress(), targetPort);
            open.add(server);
            client.setTcpNoDelay(true);
            server.setTcpNoDelay(true);
            AtomicInteger directionsOpen = new AtomicInteger(2);
            forward(client, server, directionsOpen);
            forward(server, client, directionsOpen);
        } catch (IOException e) {
            close(client);
        }
    }

    /** One direction: a reader stamping chunks with their due time, a writer delivering them when due. */
    private void forward(Socket from, Socket to, AtomicInteger directionsOpen) {
        BlockingQueue<Chunk> queue = new LinkedBlockingQueue<>();
        threads.execute(() -> {
            try (InputStream in = from.getInputStream()) {
                byte[] buffer = new byte[65536];
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    queue.add(new Chunk(System.nanoTime() + delayNanos, Arrays.copyOf(buffer, n)));
                }
            } catch (IOException e) {
                // the other side or close() ended the connection; the writer still delivers what was read
            }
            queue.add(new Chunk(System.nanoTime() + delayNanos, END));
        });
        threads.execute(() -> {
            try {
                OutputStream out = to.getOutputStream();
                for (Chunk chunk = queue.take(); ; chunk = queue.take()) {
                    waitUntil(chunk.due());
                    if (chunk.bytes() == END) {
                        break;
                    }
                    out.write(chunk.bytes());
                    out.flush();
                }
                to.shutdownOutput(); // the FIN, delayed like the bytes before it
            } catch (IOException | InterruptedException e) {
                directionsOpen.set(1); // a broken direction ends the connection
            } finally {
                if (directionsOpen.decrementAndGet() <= 0) {
                    close(from);
                    close(to);
                }
            }
        });
    }

    private static void waitUntil(long due) {
        for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
            LockSupport.parkNanos(wait);
        }
    }

    private void close(Socket socket) {
        open.remove(socket);
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        open.forEach(this::close);
        threads.shutdownNow();
    }

    private record Chunk(long due, byte[] bytes) {
    }
}
