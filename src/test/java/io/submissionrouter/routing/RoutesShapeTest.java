package io.submissionrouter.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.submissionrouter.job.JobProperties;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The shape issue 16 asks of routes/ and src/main/java, checked on the files themselves: every exchange property a
 * route reads or writes is named once, in {@link JobProperties}; one route sends over SMTP, for every endpoint; every
 * Kafka write is the route template {@code kafka-write}, through one producer step; and nothing in the code starts a
 * thread of its own (Camel's thread pools and timer routes do).
 */
class RoutesShapeTest {

    private static final Pattern READ = Pattern.compile("\\$\\{exchangeProperty\\.(\\w+)");
    private static final Pattern WRITTEN = Pattern.compile(
            "-\\s+(?:setProperty|removeProperty):\\s*\\n\\s+name:\\s*\"?(\\w+)\"?");

    @Test
    void everyExchangePropertyTheRoutesUseIsNamedOnceInJobProperties() throws Exception {
        Map<String, String> named = new TreeMap<>();
        for (Field f : JobProperties.class.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
                String before = named.put((String) f.get(null), f.getName());
                assertThat(before).as("property name %s named twice", f.get(null)).isNull();
            }
        }
        Set<String> used = new TreeSet<>();
        for (String yaml : routes().values()) {
            for (Pattern p : List.of(READ, WRITTEN)) {
                Matcher m = p.matcher(yaml);
                while (m.find()) {
                    used.add(m.group(1));
                }
            }
        }
        assertThat(used).contains("pass", "endpoint", "jobSpan", "dnsError");
        used.removeIf(name -> name.startsWith("Camel")); // Camel's own (Exchange.EXCEPTION_CAUGHT, ...)
        assertThat(named.keySet()).containsAll(used);
    }

    @Test
    void noOtherClassNamesAnExchangePropertyOfItsOwn() throws IOException {
        // an exchange (exchange, ex, done, ...) given a property name as a literal instead of a JobProperties constant
        Pattern literal = Pattern.compile("\\b(?:exchange|ex|done|e)\\.(?:set|get|remove)Property\\(\\s*\"");
        assertThat(sourcesMatching(literal)).isEmpty();
    }

    @Test
    void oneRouteSubmitsOverSmtpForEveryEndpoint() throws IOException {
        Pattern smtp = Pattern.compile("uri:\\s*\"smtps?:|to:\\s*\"?smtps?:");
        Map<String, Integer> uses = new TreeMap<>();
        routes().forEach((file, yaml) -> {
            Matcher m = smtp.matcher(yaml);
            while (m.find()) {
                uses.merge(file, 1, Integer::sum);
            }
        });
        assertThat(uses).containsExactly(Map.entry("submission.yaml", 1));
        String submission = routes().get("submission.yaml");
        assertThat(submission).contains("id: submit\n", "toD:", "smtp://${exchangeProperty.endpoint.sender}",
                "io.submissionrouter.smtp.SmtpSessionException");
        assertThat(Pattern.compile("^\\s+id: ", Pattern.MULTILINE).matcher(submission).results().count()).isEqualTo(1);
    }

    @Test
    void everyKafkaWriteIsTheRouteTemplate() throws IOException {
        Pattern producer = Pattern.compile("(?:to|toD):\\s*\\n?\\s*(?:uri:\\s*)?\"?kafka:");
        Map<String, Integer> uses = new TreeMap<>();
        routes().forEach((file, yaml) -> {
            Matcher m = producer.matcher(yaml);
            while (m.find()) {
                uses.merge(file, 1, Integer::sum);
            }
        });
        assertThat(uses).containsExactly(Map.entry("results.yaml", 1));
        // one kafka producer step, in the one route every instance of the template writes through
        assertThat(routes().get("results.yaml")).contains("routeTemplate:\n    id: kafka-write\n",
                "- to: direct:kafka-send\n", "id: kafka-send\n", "uri: direct:kafka-send\n");
        assertThat(Pattern.compile("direct:kafka-send").matcher(String.join("\n", routes().values())).results()
                .count()).as("only the template writes through kafka-send").isEqualTo(2);
        long instances = routes().values().stream()
                .mapToLong(y -> Pattern.compile("routeTemplateRef: kafka-write").matcher(y).results().count()).sum();
        // the completion, the pass's other records, an operator's command, an operator's dlq replay
        assertThat(instances).isEqualTo(4);
    }

    @Test
    void noQueryStringOnAnEndpointUri() throws IOException {
        Pattern query = Pattern.compile("(?:uri|to|toD):\\s*\"?[a-z]+:[^\\s\"]*\\?");
        routes().forEach((file, yaml) -> assertThat(query.matcher(yaml).find())
                .as("%s: endpoint options belong in a parameters: map", file).isFalse());
    }

    @Test
    void theCodeStartsNoThreadOfItsOwn() throws IOException {
        Pattern own = Pattern.compile("new Thread\\b|Executors\\.");
        assertThat(sourcesMatching(own)).isEmpty();
    }

    private static Map<String, String> routes() throws IOException {
        Map<String, String> all = new TreeMap<>();
        try (Stream<Path> files = Files.list(Path.of("routes"))) {
            for (Path p : files.filter(p -> p.toString().endsWith(".yaml")).toList()) {
                all.put(p.getFileName().toString(), Files.readString(p));
            }
        }
        assertThat(all).isNotEmpty();
        return all;
    }

    /** The source files of src/main/java in which {@code pattern} is found. */
    private static List<String> sourcesMatching(Pattern pattern) throws IOException {
        List<String> matching = new ArrayList<>();
        int read = 0;
        try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
            for (Path p : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                read++;
                if (pattern.matcher(Files.readString(p)).find()) {
                    matching.add(p.toString());
                }
            }
        }
        assertThat(read).isPositive();
        return matching;
    }
}
