package io.submissionrouter.demo;

/**
 * What the benchmark measured of one contender in one scenario.
 *
 * @param contender      raw, hand-written, router or naive
 * @param jobs           jobs (messages, for raw) of the measured run
 * @param perSecond      jobs of the measured run per second: from the first job written to the last result appended
 * @param cpuMsPerJob    CPU (user and system) of the contender's JVM over the measured run, per job
 * @param harnessMsPerJob CPU of the benchmark's JVM (broker, SMTP sink, latency proxy, job producer, result reader)
 *                       over the same run, per job
 * @param pacedPerSecond the rate of the latency run (half of {@code perSecond})
 * @param p50Ms          median job latency of the latency run: job record written to result record appended (raw:
 *                       message due to the server's reply to its final dot)
 * @param p99Ms          99th percentile of the same
 * @param problems       what did not add up (results not SENT, messages the sink did not get), empty if nothing
 */
record Measurement(String contender, int jobs, double perSecond, double cpuMsPerJob, double harnessMsPerJob,
        double pacedPerSecond, double p50Ms, double p99Ms, String problems) {
}
