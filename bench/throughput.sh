#!/usr/bin/env bash
# Throughput, side by side in one run on this machine, all on loopback (issue 5):
#   (a) the ceiling: a raw SMTP client with the router's STARTTLS, AUTH and concurrency, to a local sink;
#   (b) the packaged router end to end: Kafka -> SMTP -> results, to the same sink;
#   (c) the naive baseline: a plain camel-mail route (one consumer, a new session per message).
# Then p50/p99 job latency at half the router's rate, the time from 587 going dark (refused, then dropped)
# to the first job served by 2525, and the router's heap and RSS after the jobs and with a backlog waiting.
# Not part of .ci/run.
#   bench/throughput.sh                          # 100000 jobs, 4 consumers, a backlog of 1000000
#   JOBS=20000 BACKLOG=200000 bench/throughput.sh  # a shorter run
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -Pdemo package -Ddemo.main=io.submissionrouter.demo.Throughput \
  -Dbench.jobs="${JOBS:-100000}" -Dbench.naive.jobs="${NAIVE_JOBS:-3000}" \
  -Dbench.concurrency="${CONCURRENCY:-4}" -Dbench.backlog="${BACKLOG:-1000000}"
