package io.submissionrouter.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.submissionrouter.pass.Pass;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The routes' filters and loops cost nothing to evaluate: Simple compares an exchange property with a literal through
 * {@code ObjectHelper.typeCoerceEquals}, which looks up a type converter (an enum against a text) at every evaluation,
 * while a bare {@code ${exchangeProperty.pass.routing}} is a Boolean Camel takes as it is
 * ({@code ExpressionToPredicateAdapter} and {@code ObjectHelper.evaluateValuePredicate}). {@code != null} stays: it is
 * decided on the nulls alone, before any converter.
 */
class RoutePredicatesTest {

    private static final String OPERATOR = "==|!=|=~|>=|<=|>|<|\\bnot in\\b|\\bin\\b|\\bcontains\\b|\\bregex\\b"
            + "|\\bstarts with\\b|\\bends with\\b|\\bis\\b|\\brange\\b";
    /** A property on the left of a comparison, and what it is compared with. */
    private static final Pattern LEFT = Pattern.compile(
            "\\$\\{exchangeProperty\\.[^}]+\\}\\s*(?:" + OPERATOR + ")\\s*([^\\s\"]+)");
    /** A literal on the left of a comparison with a property. */
    private static final Pattern RIGHT = Pattern.compile(
            "(?:'[^']*'|\\btrue\\b|\\bfalse\\b|\\b\\d+\\b)\\s*(?:" + OPERATOR + ")\\s*\\$\\{exchangeProperty\\.");
    private static final Pattern BARE_DELIVERY = Pattern.compile(
            "simple:\\s*\"\\$\\{exchangeProperty\\.pass\\.(\\w+)\\}\"");

    @Test
    void noRouteComparesAnExchangePropertyWithALiteral() throws IOException {
        List<String> found = new ArrayList<>();
        for (Path file : routeFiles()) {
            String yaml = Files.readString(file);
            Matcher m = LEFT.matcher(yaml);
            while (m.find()) {
                if (!m.group(1).equals("null")) {
                    found.add(file.getFileName() + ": " + m.group());
                }
            }
            Matcher r = RIGHT.matcher(yaml);
            while (r.find()) {
                found.add(file.getFileName() + ": " + r.group());
            }
        }
        assertThat(found).as("ask the bean a yes-or-no question instead (e.g. Pass.routing())").isEmpty();
    }

    @Test
    void theCheckSeesTheComparisonsItForbids() {
        for (String bad : List.of("simple: \"${exchangeProperty.pass.next} == 'route'\"",
                "simple: \"${exchangeProperty.pass.next} != 'done'\"",
                "simple: \"${exchangeProperty.pass.concluded} == false\"",
                "simple: \"'route' == ${exchangeProperty.pass.next}\"")) {
            Matcher m = LEFT.matcher(bad);
            boolean left = m.find() && !m.group(1).equals("null");
            assertThat(left || RIGHT.matcher(bad).find()).as(bad).isTrue();
        }
        Matcher ok = LEFT.matcher("simple: \"${exchangeProperty.endpoint} != null\"");
        assertThat(ok.find() && ok.group(1).equals("null")).isTrue();
    }

    @Test
    void everyBareDeliveryPredicateIsABooleanAccessor() throws Exception {
        List<String> used = new ArrayList<>();
        for (Path file : routeFiles()) {
            Matcher m = BARE_DELIVERY.matcher(Files.readString(file));
            while (m.find()) {
                used.add(m.group(1));
            }
        }
        assertThat(used).contains("routing", "unfinished", "toConclude");
        for (String name : used) {
            Method accessor = Pass.class.getMethod(name);
            assertThat(accessor.getReturnType()).as(name).isEqualTo(boolean.class);
        }
    }

    private static List<Path> routeFiles() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("routes"))) {
            List<Path> yaml = files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
            assertThat(yaml).isNotEmpty();
            return yaml;
        }
    }
}
