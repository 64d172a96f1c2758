package io.submissionrouter.nativeimage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The reading the native-image guard relies on finds each kind of call site, and says when it cannot. */
class BytecodeNeedsTest {

    private static final BytecodeNeeds NEEDS = read();

    private static BytecodeNeeds read() {
        Path dir = Path.of("target/test-classes/io/submissionrouter/nativeimage");
        try (Stream<Path> files = Files.list(dir)) {
            return BytecodeNeeds.ofFiles(files.filter(p -> p.getFileName().toString().startsWith("NeedsFixture"))
                    .sorted().toList());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void findsTheTypesJacksonReadsAndWritesInsideMapsAndListsAndThroughPrivateHelpers() {
        String fixture = NeedsFixture.class.getName();
        assertThat(NEEDS.jacksonTypes()).containsExactlyInAnyOrder(fixture + "$Read", fixture + "$Written",
                fixture + "$InMap", fixture + "$ViaPrivate", fixture + "$Listed", fixture + "$Converted");
    }

    @Test
    void findsResourcesAndClassesOpenedByAConstantName() {
        assertThat(NEEDS.resources()).containsExactly("fixture/needed.json");
        assertThat(NEEDS.classesByName()).containsExactly(NeedsFixture.class.getName() + "$Read");
    }

    @Test
    void saysWhereItCannotTellTheTypeOrTheName() {
        assertThat(NEEDS.unreadable()).hasSize(2);
        assertThat(NEEDS.unreadable()).anySatisfy(u -> assertThat(u).contains("NeedsFixture.vague")
                .contains("a value Jackson writes typed Object"));
        assertThat(NEEDS.unreadable()).anySatisfy(u -> assertThat(u).contains("NeedsFixture.byComputedName")
                .contains("a class name that is not a constant"));
    }
}
