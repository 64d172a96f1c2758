#!/usr/bin/env bash
# Throughput, side by side in one run on this machine (issue 14), each contender in a JVM of its own, the same jobs
# through the same embedded Kafka broker to the same SMTP sink (STARTTLS and AUTH), 32 sessions each:
#   raw           the ceiling: a plain Angus Mail client, 32 threads each on one kept session, no Kafka;
#   hand-written  the plain-Java pipeline a user would write instead (KafkaConsumer, manual commits, kept sessions,
#                 one idempotent KafkaProducer for results and completions, one commit per poll);
#   router        the packaged router;
#   naive         a kafka: -> smtp: -> kafka: camel-mail route, a new SMTP session per message.
# First on loopback, then through a latency proxy in front of the sink (25 ms each way), the jobs topic at 3
# partitions in both. Prints jobs/s, CPU per job of each JVM and of the harness (broker, sink, proxy, producer),
# p50/p99 job latency at half each one's rate, the ratios and issue 14's targets. About 10 to 15 minutes on 2 cores.
# Not part of .ci/run.
#   bench/throughput.sh                                   # the default sizes
#   JOBS=2000 PROXY_JOBS=400 bench/throughput.sh          # a shorter run
#   bench/throughput.sh -Dbench.scenarios=proxy -Dbench.contenders=router,hand-written   # part of it
# Sizes: JOBS (20000), NAIVE_JOBS (2000), PROXY_JOBS (4000), PROXY_NAIVE_JOBS (300); other settings as -D options
# (see Throughput's javadoc). ROUTER_ENV=K=V,K=V adds router settings; ROUTER_JAVA_OPTS and BENCH_CHILD_JAVA_OPTS
# give the router's and the other contenders' JVMs options (a profiler, say).
#   bench/throughput.sh extras    # instead: failover times (587 refusing, then dropping) and the router's memory
#                                 # after JOBS jobs and with a BACKLOG (1000000) waiting, 4 consumers
set -euo pipefail
cd "$(dirname "$0")/.."
# offline and quiet; this Maven prints colour codes even in batch mode
mvn_quiet() { mvn -B -q -o "$@" | sed 's/\x1b\[[0-9;]*m//g'; }
mvn_quiet package -DskipTests
classpath_file=target/bench-classpath.txt
mvn_quiet dependency:build-classpath -Dmdep.outputFile="$classpath_file" -Dmdep.includeScope=test
classpath="target/test-classes:target/classes:$(cat "$classpath_file")"
java=(java -cp "$classpath" -Djava.util.logging.manager=org.jboss.logmanager.LogManager)
if [[ "${1:-}" == extras ]]; then
  shift
  exec "${java[@]}" -Dbench.jobs="${JOBS:-20000}" -Dbench.backlog="${BACKLOG:-1000000}" "$@" \
    io.submissionrouter.demo.FailoverAndMemory
fi
exec "${java[@]}" -Dbench.classpath="$classpath" \
  -Dbench.jobs="${JOBS:-20000}" -Dbench.naive.jobs="${NAIVE_JOBS:-2000}" \
  -Dbench.proxy.jobs="${PROXY_JOBS:-4000}" -Dbench.proxy.naive.jobs="${PROXY_NAIVE_JOBS:-300}" \
  "$@" io.submissionrouter.demo.Throughput
