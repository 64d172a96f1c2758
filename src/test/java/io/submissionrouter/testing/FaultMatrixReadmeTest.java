package io.submissionrouter.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README shows the fault matrix FaultMatrixTest runs, cell for cell (README "How each SMTP answer is treated"). */
class FaultMatrixReadmeTest {

    static final String START = "<!-- fault-matrix: generated from FaultMatrix.CELLS, checked by FaultMatrixReadmeTest -->\n";
    static final String END = "<!-- /fault-matrix -->";
    static final String RECIPIENTS_START =
            "<!-- recipient-matrix: generated from RecipientMatrix.CELLS, checked by FaultMatrixReadmeTest -->\n";
    static final String RECIPIENTS_END = "<!-- /recipient-matrix -->";

    @Test
    void theReadmeShowsTheMatrixTheTestsRun() throws Exception {
        assertReadmeSection(START, END, "fault matrix", FaultMatrix.markdown());
    }

    @Test
    void theReadmeShowsTheRecipientCellsTheTestsRun() throws Exception {
        assertReadmeSection(RECIPIENTS_START, RECIPIENTS_END, "recipient matrix", RecipientMatrix.markdown());
    }

    private static void assertReadmeSection(String start, String end, String what, String markdown) throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        int from = readme.indexOf(start);
        int to = readme.indexOf(end);
        assertThat(from).as("README has the %s markers", what).isNotNegative();
        assertThat(to).isGreaterThan(from);
        assertThat(readme.substring(from + start.length(), to))
                .as("README's %s is out of date; replace it with:%n%s", what, markdown)
                .isEqualTo(markdown);
    }
}
