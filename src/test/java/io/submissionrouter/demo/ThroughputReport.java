package io.submissionrouter.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The table {@code bench/throughput.sh} ends with: each scenario's contenders, the ratios, and issue 14's targets. */
final class ThroughputReport {

    private static final String HEADER = String.format("  %-13s %7s %10s %11s %12s %10s %8s %8s", "contender", "jobs",
            "jobs/s", "CPU ms/job", "harness CPU", "paced at", "p50 ms", "p99 ms");

    private final Map<String, List<Measurement>> scenarios = new LinkedHashMap<>();
    private final Map<String, String> descriptions = new LinkedHashMap<>();

    void scenario(String name, String description) {
        scenarios.put(name, new ArrayList<>());
        descriptions.put(name, description);
    }

    void add(String scenario, Measurement m) {
        scenarios.get(scenario).add(m);
    }

    static String header() {
        return HEADER;
    }

    static String row(Measurement m) {
        return String.format("  %-13s %7d %10.1f %11.2f %12.2f %8.1f/s %8.1f %8.1f%s", m.contender(), m.jobs(),
                m.perSecond(), m.cpuMsPerJob(), m.harnessMsPerJob(), m.pacedPerSecond(), m.p50Ms(), m.p99Ms(),
                m.problems().isEmpty() ? "" : "   ! " + m.problems());
    }

    List<String> lines() {
        List<String> out = new ArrayList<>();
        scenarios.forEach((name, rows) -> {
            out.add("");
            out.add("== " + name + ": " + descriptions.get(name));
            out.add(HEADER);
            rows.forEach(m -> out.add(row(m)));
            Optional<Measurement> router = find(rows, "router");
            if (router.isEmpty()) {
                return;
            }
            out.add("  ratios (jobs/s): router / raw " + ratio(router, find(rows, "raw"))
                    + ", router / hand-written " + ratio(router, find(rows, "hand-written"))
                    + ", router / naive " + ratio(router, find(rows, "naive")));
            if (name.equals("proxy")) {
                out.add("  target router >= 0.8 x raw:          " + target(router, find(rows, "raw"), 0.8));
                out.add("  target router >= 0.9 x hand-written: " + target(router, find(rows, "hand-written"), 0.9));
            } else {
                out.add("  target router >= 0.9 x hand-written: " + target(router, find(rows, "hand-written"), 0.9));
                out.add(String.format("  target router CPU <= 1.0 ms/job:     %s (%.2f ms)",
                        router.get().cpuMsPerJob() <= 1.0 ? "met" : "NOT met", router.get().cpuMsPerJob()));
            }
        });
        return out;
    }

    private static Optional<Measurement> find(List<Measurement> rows, String contender) {
        return rows.stream().filter(m -> m.contender().equals(contender)).findFirst();
    }

    private static String ratio(Optional<Measurement> a, Optional<Measurement> b) {
        return a.isPresent() && b.isPresent() ? String.format("%.2f", a.get().perSecond() / b.get().perSecond()) : "-";
    }

    private static String target(Optional<Measurement> router, Optional<Measurement> other, double factor) {
        if (other.isEmpty()) {
            return "not measured";
        }
        double ratio = router.get().perSecond() / other.get().perSecond();
        return String.format("%s (%.2f)", ratio >= factor ? "met" : "NOT met", ratio);
    }

    /** The machine's load averages (1, 5, 15 minutes), as uptime shows them. */
    static String load() {
        try {
            String[] avg = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return "load average " + avg[0] + ", " + avg[1] + ", " + avg[2];
        } catch (IOException e) {
            return "load average unknown";
        }
    }
}
