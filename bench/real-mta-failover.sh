#!/usr/bin/env bash
# Failover against a real MTA, on loopback only. For a disposable Debian machine, as root: installs and
# configures Postfix (submission on 127.0.0.1:587 and :2525, STARTTLS required, SASL AUTH through
# Dovecot, every message delivered to the local mailbox of user "demo": nothing leaves the machine),
# then runs the packaged router against it while iptables drops, then refuses, packets to 587.
# Not part of .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=bench/lib/local-mta.sh
source bench/lib/local-mta.sh

run_against_mta io.submissionrouter.demo.RealMtaFailover
