#!/usr/bin/env bash
# bench_rollback - the stage for build/bench/bench_rollback (the C harness,
# tests/bench/bench_rollback.c, which measures and prints): an environment
# on the local stack whose blue color serves release 1.0, the six workers
# running, validation open, and release 2.0 built for the canaries. It no
# longer times anything itself: its shell timing counted starting the CLI
# and a probe process per poll in every figure.
#
# usage: tests/bench/bench_rollback.sh [ROUNDS]   (default BENCH_ROUNDS, else 100)
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/saga_lib.sh"

ROUNDS=${1:-${BENCH_ROUNDS:-100}}
HARNESS=$TOP/$BUILD/bench/bench_rollback

[ -x "$HARNESS" ] || { echo "bench_rollback: $HARNESS not built (tests/bench/run builds it)" >&2; exit 1; }
use_test_prefix
saga_setup benchrb > /dev/null
start_saga_workers
gate_open all
saga_release 2.0
"$HARNESS" "$ENV" "$URI_2_0" "$SHA_2_0" "$ROUNDS" 2>>"$LOGDIR/bench_rollback.log" ||
  { echo "bench_rollback failed: see $LOGDIR/bench_rollback.log" >&2; exit 1; }
