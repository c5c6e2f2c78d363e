#!/usr/bin/env bash
# test_aws_cloudwatch - analysis metrics measured through CloudWatch
# GetMetricData against moto's AWS server, with SigV4 and IAM checking on
# (the probe signs as the fixture's least-privilege IAM user).
#
# The fixture's admin puts AWS/ApplicationELB datapoints with boto3
# (put_metric_data) for the ALB and each color's target group: green 40
# 5XX in the last whole minute (1 two minutes earlier), 200 requests;
# blue 2 5XX. Then tests/integration/analysis_probe.c takes measurements
# as the validator does: green's latest 5XX count fails max 10 and passes
# max 100, its dimensions are the ALB's and green's target group; a
# baseline reads blue's target group and fails an increase above 5;
# min_requests in the cloudwatch form lets a measurement through at 200
# requests and makes it low-traffic at a minimum of 1000; no datapoints is
# no data, under each no_data policy; an expression over metric ids is
# answered (moto evaluates only an expression that names one id, so
# "100 * errors / requests" itself is left to the unit test of the
# request form); a wrong secret key is an error (SignatureDoesNotMatch)
# and stays out of the output; through tests/aws/throttle_proxy.py a
# throttled call is retried and measures.
#
# Needs `make` and python3; installs moto[server] and boto3 with pip when
# they are missing.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/aws/lib.sh"

TMP=$(mktemp -d)
ENV=$(unique_name awscw)
PROBE="$TOP/$BUILD/tests/analysis_probe"
PIDS=()

trap helpers_cleanup EXIT

# measure METRIC_JSON [COLOR OLD_COLOR] - the probe's three lines for one metric
measure() {
  printf '%s' "$1" > "$TMP/metric.json"
  "$PROBE" "$TMP/env.json" "$TMP/metric.json" "${2:-green}" "${3:-blue}" 2.0 2>>"$LOGDIR/aws-analysis-probe.log"
}

# outcome METRIC_JSON [COLOR OLD_COLOR] - "OUTCOME VALUE BASELINE" of one measurement
outcome() { measure "$@" | head -1; }

# ---------------------------------------------------------------- set-up

aws_python_ready || { not_ok "moto and boto3 importable" "pip install failed"; exit 1; }
[ -x "$PROBE" ] || { not_ok "the analysis probe is built" "run make first"; exit 1; }
start_helper moto_server.py "$TMP/moto.json" || { not_ok "moto starts"; exit 1; }
MOTO=$(json_get "$TMP/moto.json" endpoint)
aws_fixture "$TMP/env.json"

# the ALB's datapoints, in whole minutes before the last boundary
dims=$(alb_put HTTPCode_Target_5XX_Count green 1 150 && alb_put HTTPCode_Target_5XX_Count green 40 &&
       alb_put RequestCount green 200 && alb_put HTTPCode_Target_5XX_Count blue 2) ||
  { not_ok "put_metric_data in moto"; exit 1; }
ok "put_metric_data in moto (ALB and target group dimensions)"
read -r LB TG <<<"$(sed -n 3p <<<"$dims")"

# ---------------------------------------------------------------- a metric and its range

FIVEXX=$(alb_query HTTPCode_Target_5XX_Count)
out=$(measure "{\"name\":\"5xx\",\"provider\":\"cloudwatch\",\"cloudwatch\":$FIVEXX,\"max\":10}")
check_eq "green's latest 5XX count (40) fails max 10" "fail 40 -" "$(head -1 <<<"$out")"
case "$(sed -n 3p <<<"$out")" in
  "GetMetricData AWS/ApplicationELB HTTPCode_Target_5XX_Count Sum {LoadBalancer=$LB, TargetGroup=$TG}, period 60 s, latest in "*)
    ok "the request as sent names the ALB and green's target group" ;;
  *) not_ok "the request as sent names the ALB and green's target group" "$(sed -n 3p <<<"$out")" ;;
esac
check_eq "and passes max 100" "pass 40 -" \
  "$(outcome "{\"name\":\"5xx\",\"provider\":\"cloudwatch\",\"cloudwatch\":$FIVEXX,\"max\":100}")"

# ---------------------------------------------------------------- baseline: the old color's target group

out=$(measure "{\"name\":\"5xx\",\"provider\":\"cloudwatch\",\"cloudwatch\":$FIVEXX,\"max\":100,\"baseline\":{\"max_increase\":5}}")
check_eq "the baseline reads blue's target group (2) and fails an increase of 38" "fail 40 2" "$(head -1 <<<"$out")"
check_eq "its detail" "40 exceeds the old color's 2 by more than 5" "$(sed -n 2p <<<"$out")"
check_eq "with the colors the other way round, blue 2 against green 40 passes" "pass 2 40" \
  "$(outcome "{\"name\":\"5xx\",\"provider\":\"cloudwatch\",\"cloudwatch\":$FIVEXX,\"max\":100,\"baseline\":{\"max_increase\":5}}" blue green)"

# ---------------------------------------------------------------- min_requests in the cloudwatch form

REQUESTS=$(alb_query RequestCount)
check_eq "200 requests are enough for a minimum of 100" "fail 40 -" \
  "$(outcome "{\"name\":\"5xx\",\"provider\":\"cloudwatch\",\"cloudwatch\":$FIVEXX,\"max\":10,\"min_requests\":{\"cloudwatch\":$REQUESTS,\"min\":100}}")"
out=$(measure "{\"name\":\"5xx\",\"provider\":\"cloudwatch\",\"cloudwatch\":$FIVEXX,\"max\":10,\"min_requests\":{\"cloudwatch\":$REQUESTS,\"min\":1000}}")
check_eq "below a minimum of 1000 the measurement is low-traffic" "low-traffic - -" "$(head -1 <<<"$out")"
check_eq "and says how many" "200 requests, below the minimum 1000" "$(sed -n 2p <<<"$out")"

# ---------------------------------------------------------------- no datapoints

NONE=$(alb_query HTTPCode_ELB_5XX_Count)
check_eq "no datapoints: no data (the default policy)" "no-data - -" \
  "$(outcome "{\"name\":\"elb\",\"provider\":\"cloudwatch\",\"cloudwatch\":$NONE,\"max\":1}")"
check_eq "no datapoints under no_data fail" "fail - -" \
  "$(outcome "{\"name\":\"elb\",\"provider\":\"cloudwatch\",\"cloudwatch\":$NONE,\"max\":1,\"no_data\":\"fail\"}")"
check_eq "a window before the datapoints has none" "no-data - -" \
  "$(outcome "{\"name\":\"5xx\",\"provider\":\"cloudwatch\",\"cloudwatch\":$(alb_query HTTPCode_Target_5XX_Count 1 10),\"max\":1}")"

# ---------------------------------------------------------------- an expression over metric ids

EXPR="{\"expression\":\"errors\",\"period\":60,\"window_seconds\":300,\"metrics\":[$(alb_metric HTTPCode_Target_5XX_Count Sum | sed 's/^{/{"id":"errors",/'),$(alb_metric RequestCount Sum | sed 's/^{/{"id":"requests",/')]}"
check_eq "an expression over the metrics' ids is the result" "fail 40 -" \
  "$(outcome "{\"name\":\"ratio\",\"provider\":\"cloudwatch\",\"cloudwatch\":$EXPR,\"max\":10}")"

# ---------------------------------------------------------------- errors

out=$(AWS_SECRET_ACCESS_KEY=not-the-secret measure "{\"name\":\"5xx\",\"provider\":\"cloudwatch\",\"cloudwatch\":$FIVEXX,\"max\":10}")
check_eq "a wrong secret key: an error" "error - -" "$(head -1 <<<"$out")"
case "$(sed -n 2p <<<"$out")" in
  "GetMetricData: SignatureDoesNotMatch: "*) ok "that names SignatureDoesNotMatch" ;;
  *) not_ok "that names SignatureDoesNotMatch" "$(sed -n 2p <<<"$out")" ;;
esac
case "$out" in *not-the-secret*) not_ok "the secret stays out of the output" ;; *) ok "the secret stays out of the output" ;; esac

start_helper throttle_proxy.py "$TMP/proxy.json" --target "$MOTO" || { not_ok "the throttling proxy starts"; exit 1; }
PROXY=$(json_get "$TMP/proxy.json" url)
curl -fsS -X POST "$PROXY/__proxy/throttle/2" >/dev/null
check_eq "throttled twice, the third attempt measures" "fail 40 -" \
  "$(CUTOVER_AWS_ENDPOINT_URL_CLOUDWATCH=$PROXY CUTOVER_AWS_MAX_ATTEMPTS=3 outcome "{\"name\":\"5xx\",\"provider\":\"cloudwatch\",\"cloudwatch\":$FIVEXX,\"max\":10}")"
check_eq "three requests reached the proxy" "3" "$(curl -fsS "$PROXY/__proxy/count")"
curl -fsS -X POST "$PROXY/__proxy/throttle/10" >/dev/null
out=$(CUTOVER_AWS_ENDPOINT_URL_CLOUDWATCH=$PROXY CUTOVER_AWS_MAX_ATTEMPTS=3 measure "{\"name\":\"5xx\",\"provider\":\"cloudwatch\",\"cloudwatch\":$FIVEXX,\"max\":10}")
check_eq "past CUTOVER_AWS_MAX_ATTEMPTS: an error" "error - -" "$(head -1 <<<"$out")"
case "$(sed -n 2p <<<"$out")" in
  "GetMetricData: Throttling: Rate exceeded (request id "*")") ok "that says Throttling" ;;
  *) not_ok "that says Throttling" "$(sed -n 2p <<<"$out")" ;;
esac

[ "$TEST_FAILURES" -eq 0 ]
