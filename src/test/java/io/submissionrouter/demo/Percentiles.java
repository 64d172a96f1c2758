package io.submissionrouter.demo;

import java.util.Arrays;

/** The nearest-rank percentile the benchmark reports (p50, p99). */
final class Percentiles {

    private Percentiles() {
    }

    /** The {@code p}-th percentile of {@code values}; -1 when there are none. */
    static long of(long[] values, int p) {
        if (values.length == 0) {
            return -1;
        }
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, rank - 1)];
    }
}
