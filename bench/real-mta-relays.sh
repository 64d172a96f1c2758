#!/usr/bin/env bash
# Relay groups and operator control against a real MTA, on loopback only, as a new user would try them. For a
# disposable Debian machine, as root: installs and configures Postfix (bench/lib/local-mta.sh: submission on
# 127.0.0.1:587 and :2525 with STARTTLS, :465 with TLS from the first byte, SASL AUTH, every message delivered
# to the local mailbox of user "demo": nothing leaves the machine), then runs the packaged router configured by
# environment variables only: the default group on 587/2525 and a "bulk" group on 465 at 5 messages/s. It sends
# both kinds of jobs, then suspends and resumes the default group's primary through the admin endpoints.
# Not part of .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=bench/lib/local-mta.sh
source bench/lib/local-mta.sh

run_against_mta io.submissionrouter.demo.RealMtaRelays
echo "sessions per Postfix listener (this run and earlier ones):"
grep -o 'postfix/sub[0-9]*/smtpd\[[0-9]*\]: [0-9A-F]*: client=' /var/log/postfix.log | cut -d/ -f2 | sort | uniq -c
