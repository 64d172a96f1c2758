package io.submissionrouter.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README shows the fault matrix FaultMatrixTest runs, cell for cell (README "How each SMTP answer is treated"). */
class FaultMatrixReadmeTest {

    static final String START = "<!-- fault-matrix: generated from FaultMatrix.CELLS, checked by FaultMatrixReadmeTest -->\n";
    static final String END = "<!-- /fault-matrix -->";

    @Test
    void theReadmeShowsTheMatrixTheTestsRun() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        int from = readme.indexOf(START);
        int to = readme.indexOf(END);
        assertThat(from).as("README has the fault matrix markers").isNotNegative();
        assertThat(to).isGreaterThan(from);
        assertThat(readme.substring(from + START.length(), to))
                .as("README's fault matrix is out of date; replace it with:%n%s", FaultMatrix.markdown())
                .isEqualTo(FaultMatrix.markdown());
    }
}
