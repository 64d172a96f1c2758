#!/usr/bin/env bash
# Both endpoints dark for minutes, against a real MTA, on loopback only. For a disposable Debian machine, as
# root: sets up Postfix as bench/real-mta-failover.sh does, then runs the packaged router while iptables drops
# every packet to 587 and 2525 for OUTAGE_SECONDS (default 150). Meanwhile jobs keep coming and the router is
# killed with SIGKILL and restarted, then stopped with SIGTERM and restarted. When the endpoints are back,
# every job must be in the mailbox exactly once, and resubmitted jobIds must come back DUPLICATE.
# Not part of .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib/local-mta.sh
source bench/lib/local-mta.sh
mvn -B -q -Pdemo package -Ddemo.main=io.submissionrouter.demo.RealMtaOutage
