#!/usr/bin/env bash
# What arrives, against a real MTA, on loopback only. For a disposable Debian machine, as root: sets up Postfix
# as bench/real-mta-failover.sh does, then the packaged router sends a job with non-ASCII names and subject, a
# binary attachment with a non-ASCII name, an inline image, a custom header and a Bcc recipient; the message in
# the mailbox is compared field by field. Jobs to domains that cannot receive mail must come back INVALID with
# NO_MX, and a DNS server that never answers must not block delivery (DNS from a server on a loopback port).
# Not part of .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib/local-mta.sh
source bench/lib/local-mta.sh
mvn -B -q -Pdemo package -Ddemo.main=io.submissionrouter.demo.RealMtaInput
