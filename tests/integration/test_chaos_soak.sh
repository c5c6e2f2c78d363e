#!/usr/bin/env bash
# test_chaos_soak - a short round of the chaos soak (make chaos): four
# environments, 16 deployments of every kind (blue-green, timed canary,
# operator rollback, alarm, failed validation, superseded build, one
# environment with approvals) under cutoverd with two copies of each
# worker, while workers and cutoverd are SIGKILLed every 0.5-2 s, Kafka and
# PostgreSQL restart twice each and HAProxy's Runtime API hangs once
# during a shift. Each deployment must end as its script says and no
# invariant may be violated (tests/chaos/invariants.sh). The report is
# in .run/chaos/ (report.json, SUMMARY.md).
set -uo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
CHAOS_SCALE=${CHAOS_SCALE:-0.08} CHAOS_RESTART_EVERY=${CHAOS_RESTART_EVERY:-25} \
  "$TOP/tests/chaos/run"
