package io.submissionrouter.smtp;

import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.concurrent.ScheduledExecutorService;
import org.eclipse.angus.mail.util.WriteTimeoutSocket;

/**
 * The socket under every SMTP session (plain, STARTTLS and TLS from the first byte alike): Angus Mail's write timeout
 * ({@code write-timeout}, on the pod's one scheduler), and a bound on every reply read through it (CONTRACT 9.1).
 * <p>
 * Before each reply (and before each TLS handshake) the session {@link #expect arms} the socket with the step's
 * timeout and a size: every byte of that reply, whatever its layering (TLS records are read through here too), must
 * arrive before that instant and within that many bytes. Each read waits only for what is left of the step's time, so
 * a server that sends a continuation line every few seconds, or one byte at a time, is cut off at the step's timeout in
 * total; a reply past its size fails at once, so a line without end never grows the heap. Either way the read throws
 * ({@link SocketTimeoutException}, {@link ReplyTooLong}) and the session closes the connection.
 * <p>
 * When the job's own deadline comes before the step's, the bound is the job's, and {@link #cutByJob()} says so: running
 * out of the job's time is the router's own outcome, never the endpoint's failure.
 */
final class SessionSocket extends WriteTimeoutSocket {

    /**
     * The most bytes one reply may take, every line of it (TLS records included): RFC 5321 4.5.3.1.5 gives a reply
     * line 512 octets, and an EHLO reply lists a few dozen extensions; 64 KiB is generous and still bounded.
     */
    static final long MAX_REPLY_BYTES = 64 * 1024;
    /**
     * The most bytes the server's side of a TLS handshake may take: its certificate chain mostly (the JDK bounds a
     * handshake message at 32 KiB and a chain at 10 certificates).
     */
    static final long HANDSHAKE_BYTES = 512 * 1024;

    /** A reply (or a TLS handshake) larger than the bound it was armed with. */
    static final class ReplyTooLong extends IOException {
        ReplyTooLong(String what, long bytes) {
            super(what + " exceeded " + bytes + " bytes");
        }
    }

    private final Socket raw;
    private final Bounded input;
    private volatile long deadlineNanos = Long.MAX_VALUE;
    private volatile long bytesLeft = Long.MAX_VALUE;
    private volatile long armedBytes = Long.MAX_VALUE;
    private volatile boolean cutByJob;
    private volatile long writeDeadlineNanos = Long.MAX_VALUE;
    private volatile boolean writeCutByJob;
    private OutputStream output;
    private volatile String what = "the reply";

    /**
     * @param raw            the plain socket (connected or not)
     * @param writeTimeout   milliseconds a write may take before the connection is closed
     * @param writeTimeouts  the scheduler that times writes out; null: a timer thread of this socket's own
     */
    static SessionSocket over(Socket raw, int writeTimeout, ScheduledExecutorService writeTimeouts) throws IOException {
        return writeTimeouts == null ? new SessionSocket(raw, writeTimeout) : new SessionSocket(raw, writeTimeout,
                writeTimeouts);
    }

    private SessionSocket(Socket raw, int writeTimeout, ScheduledExecutorService writeTimeouts) throws IOException {
        super(raw, writeTimeout, writeTimeouts);
        this.raw = raw;
        this.input = new Bounded();
    }

    private SessionSocket(Socket raw, int writeTimeout) throws IOException {
        super(raw, writeTimeout);
        this.raw = raw;
        this.input = new Bounded();
    }

    /**
     * The next reply ({@code what}, for the error) must arrive within {@code timeoutMillis} from now, and before
     * {@code jobDeadlineNanos} ({@link System#nanoTime()}), in at most {@code maxBytes} bytes.
     */
    void expect(String what, long timeoutMillis, long jobDeadlineNanos, long maxBytes) {
        long now = System.nanoTime();
        long step = now + Math.max(0, timeoutMillis) * 1_000_000L;
        boolean job = jobDeadlineNanos - step < 0;
        this.what = what;
        this.cutByJob = job;
        this.deadlineNanos = job ? jobDeadlineNanos : step;
        this.armedBytes = maxBytes;
        this.bytesLeft = maxBytes;
    }

    /**
     * Every write from now on must be done by {@code nanoTime} ({@link System#nanoTime()}, the job's deadline): a
     * server that takes the message's body a few bytes at a time, each write within {@code write-timeout}, cannot
     * hold the session past the job's time. Past it a write fails as the job's time ran out ({@link #cutByJob()}).
     */
    void jobDeadline(long nanoTime) {
        this.writeDeadlineNanos = nanoTime;
        this.writeCutByJob = false;
    }

    /**
     * Nothing more is to be read (the session is closing): any read from now on fails at once, rather than wait out
     * the last reply's bound (closing a TLS session may read what the server still sends).
     */
    void quiet() {
        this.what = "read after the session";
        this.deadlineNanos = System.nanoTime() - 1;
    }

    /** Whether a write failed because the job's deadline had passed (reset when the next job's deadline is set). */
    boolean writeCutByJob() {
        return writeCutByJob;
    }

    /** Whether the bound of the reply under way is the job's deadline rather than the step's own timeout. */
    boolean cutByJob() {
        return cutByJob;
    }

    @Override
    public InputStream getInputStream() {
        return input;
    }

    @Override
    public synchronized OutputStream getOutputStream() throws IOException {
        if (output == null) {
            output = new DeadlineOutput(super.getOutputStream());
        }
        return output;
    }

    /** Every write through here: before the job's deadline (each one is timed out by write-timeout underneath). */
    private final class DeadlineOutput extends FilterOutputStream {
        DeadlineOutput(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            check();
            out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            check();
            out.write(b, off, len);
        }

        private void check() throws SocketTimeoutException {
            if (writeDeadlineNanos != Long.MAX_VALUE && System.nanoTime() - writeDeadlineNanos > 0) {
                cutByJob = true;
                writeCutByJob = true; // under TLS the layer above reports this as the socket closed: remembered here
                throw new SocketTimeoutException("the job's time (submission.consumer.job-timeout) ran out while "
                        + "writing to the server");
            }
        }
    }

    /** Every read through here: within what is left of the reply's time, and of its size. */
    private final class Bounded extends FilterInputStream {
        private InputStream in;

        Bounded() {
            super(null);
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (bytesLeft <= 0) {
                throw new ReplyTooLong(what, armedBytes);
            }
            long leftMillis = (deadlineNanos - System.nanoTime()) / 1_000_000L;
            if (leftMillis <= 0) {
                throw timedOut();
            }
            raw.setSoTimeout((int) Math.min(Integer.MAX_VALUE, leftMillis));
            int n;
            try {
                n = stream().read(b, off, (int) Math.min(len, bytesLeft));
            } catch (SocketTimeoutException e) {
                throw timedOut();
            }
            if (n > 0) {
                bytesLeft -= n;
            }
            return n;
        }

        private SocketTimeoutException timedOut() {
            return new SocketTimeoutException("no complete " + what + " within its time"
                    + (cutByJob ? " (the job's time, submission.consumer.job-timeout)" : ""));
        }

        @Override
        public int available() throws IOException {
            return stream().available();
        }

        @Override
        public long skip(long n) throws IOException {
            throw new IOException("an SMTP session never skips input");
        }

        @Override
        public void close() throws IOException {
            SessionSocket.this.close();
        }

        private InputStream stream() throws IOException {
            if (in == null) {
                in = raw.getInputStream();
            }
            return in;
        }
    }
}
