#!/usr/bin/env python3
"""listener_sampler - the weights an environment's ALB listener holds in a
moto server, sampled while a deployment runs (tests only).

usage: listener_sampler.py --env PATH --endpoint URL [--interval 0.1] [--once]

Reads the listener of the environment document (--env, as written by
tests/aws/fixture.py) with DescribeListeners, signed with the credentials
in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, and prints "BLUE GREEN" (the
target groups' weights in percent; a plain forward to one target group is
100 on it) each time they differ from the last line printed, flushed at
once, until SIGTERM or SIGINT. With --once: prints the weights once and
exits.
"""
import argparse
import json
import signal
import sys
import threading

import boto3


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--env", required=True)
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--interval", type=float, default=0.1)
    ap.add_argument("--once", action="store_true")
    return ap.parse_args()


def weights(elb, aws):
    """(blue, green) in percent, as the listener's default forward action holds them."""
    action = elb.describe_listeners(ListenerArns=[aws["listener_arn"]])["Listeners"][0]
    action = action["DefaultActions"][0]
    groups = action.get("ForwardConfig", {}).get("TargetGroups")
    if groups:
        w = {g["TargetGroupArn"]: g.get("Weight", 1) for g in groups}
    else:
        w = {action["TargetGroupArn"]: 1}
    total = sum(w.values()) or 1
    blue = w.get(aws["target_groups"]["blue"], 0)
    green = w.get(aws["target_groups"]["green"], 0)
    return round(100 * blue / total), round(100 * green / total)


def main():
    args = parse_args()
    aws = json.load(open(args.env))["aws"]
    elb = boto3.client("elbv2", endpoint_url=args.endpoint, region_name=aws["region"])
    if args.once:
        print("%d %d" % weights(elb, aws))
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    last = None
    while not stop.is_set():
        try:
            now = weights(elb, aws)
            if now != last:
                print("%d %d" % now, flush=True)
                last = now
        except Exception as e:  # moto busy: sample again
            print(f"listener_sampler: {e}", file=sys.stderr, flush=True)
        stop.wait(args.interval)


if __name__ == "__main__":
    main()
