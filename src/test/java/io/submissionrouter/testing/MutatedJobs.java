package io.submissionrouter.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * Jobs with one field replaced by something nasty: line breaks, odd types, odd names, odd sizes, mixed in with
 * plausible values. The jobId stays valid when {@code keepJobId}, so results can be told apart.
 */
public final class MutatedJobs {

    private static final ObjectMapper JSON = new ObjectMapper();

    private MutatedJobs() {
    }

    /** Mutations of a valid job whose jobId is {@code jobId} (unless the mutation hits it). */
    public static Arbitrary<String> arbitrary(String jobId) {
        return mutations(jobId, Arbitraries.of("jobId", "from", "replyTo", "to", "cc", "bcc", "subject", "text",
                "html", "headers", "attachments", "relay", "metadata"));
    }

    /** Mutations that leave the jobId alone. */
    public static Arbitrary<String> keepingJobId(String jobId) {
        return mutations(jobId, Arbitraries.of("from", "replyTo", "to", "cc", "bcc", "subject", "text", "html",
                "headers", "attachments", "relay", "metadata"));
    }

    private static Arbitrary<String> mutations(String jobId, Arbitrary<String> field) {
        Arbitrary<JsonNode> value = Arbitraries.oneOf(
                nasty().map(JSON::valueToTree),
                nasty().list().ofMaxSize(7).map(JSON::valueToTree),
                Combinators.combine(nasty(), nasty()).as((k, v) -> (JsonNode) JSON.createObjectNode().put(k, v)),
                Combinators.combine(nasty(), nasty(), Arbitraries.of("AA==", "!!", "", "iVBORw0KGgo="), nasty())
                        .as((name, type, content, cid) -> {
                            ArrayNode a = JSON.createArrayNode();
                            a.addObject().put("filename", name).put("contentType", type).put("contentBase64", content)
                                    .put("contentId", cid);
                            return (JsonNode) a;
                        }),
                Arbitraries.integers().map(JSON::valueToTree),
                Arbitraries.just(JSON.nullNode()));
        return Combinators.combine(field, value).as((f, v) -> {
            ObjectNode job = validJob(jobId);
            job.set(f, v);
            return job.toString();
        });
    }

    private static Arbitrary<String> nasty() {
        return Arbitraries.oneOf(
                Arbitraries.of("ada@example.org", "Ada <ada@example.org>", "\"a b\"@example.org", "a@b", "@example.org",
                        "a@bücher.example", "jürgen@example.org", "a@-x-.example", "x\r\nBcc: victim@evil.example",
                        "ok\nX-Injected: yes", "a@example.org, b@example.org", "From", "Content-Type", "X-Fine",
                        "X Bad", "bulk", "UPPER", "", " ", "text/plain", "image/png; name=\"a\r\nb\"", "\u0000",
                        "a@example.org\r\n", "someone@gone.example"),
                Arbitraries.strings().ofMaxLength(40),
                Arbitraries.strings().withCharRange(' ', '~').ofMinLength(990).ofMaxLength(1100),
                Arbitraries.strings().withCharRange('!', '~').ofMinLength(880).ofMaxLength(1000));
    }

    private static ObjectNode validJob(String jobId) {
        ObjectNode job = JSON.createObjectNode();
        job.put("jobId", jobId);
        job.put("from", "Shop <noreply@shop.example>");
        job.putArray("to").add("ada@example.org");
        job.put("subject", "Hello");
        job.put("text", "Hi");
        return job;
    }
}
