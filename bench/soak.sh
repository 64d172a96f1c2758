#!/usr/bin/env bash
# Soak: N jobs (default 100000) through the packaged router and two SMTP servers that randomly cut
# connections, hang, answer 451 after the dot and drop the connection after the dot, all on loopback.
# Reports lost jobs (must be 0) and messages sent more than once. Not part of .ci/run.
#   bench/soak.sh            # 100000 jobs
#   bench/soak.sh 2000       # a shorter run
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="${1:-100000}"
mvn -B -q -Pdemo package -Ddemo.main=io.submissionrouter.demo.Soak -Dsoak.jobs="$jobs"
