package io.submissionrouter.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.UUID;

/** Email jobs as producers write them (CONTRACT 2). */
public final class Jobs {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Jobs() {
    }

    public static String newJobId(String purpose) {
        return purpose + "-" + UUID.randomUUID();
    }

    /** A minimal valid job to one recipient. */
    public static ObjectNode job(String jobId) {
        ObjectNode job = JSON.createObjectNode();
        job.put("jobId", jobId);
        job.put("from", "Shop <noreply@shop.example>");
        job.putArray("to").add("ada@example.org");
        job.put("subject", "Your order " + jobId);
        job.put("text", "Thanks for your order.");
        return job;
    }

    /** A minimal job that asks the test SMTP server for a fault ({@link TestSmtpServer}'s X-Test-Fault). */
    public static ObjectNode withFault(String jobId, String fault) {
        ObjectNode job = job(jobId);
        job.putObject("headers").put("X-Test-Fault", fault);
        return job;
    }

    public static String json(ObjectNode job) {
        return job.toString();
    }
}
