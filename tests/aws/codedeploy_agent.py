#!/usr/bin/env python3
"""codedeploy_agent - TEST SCAFFOLDING: stands in for the CodeDeploy agent
of an environment built by tests/aws/fixture.py in a moto server, so that
a whole saga can run against moto.

usage: codedeploy_agent.py --env PATH --endpoint URL --control URL
                           [--status Succeeded] [--interval 0.2]

moto never moves a CodeDeploy deployment by itself (it stays Created).
Every --interval seconds this loop lists the deployments of the
environment document's (--env) deployment groups, signed with the
credentials in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, and moves each
one that has not ended to --status through moto_server.py's control port
(POST <control>/codedeploy/<id>/<status>), as the agent would once the
hooks ran on the instances. Prints one line per deployment it moved and
runs until SIGTERM or SIGINT. Nothing of this exists in cutover's
product code.
"""
import argparse
import json
import signal
import sys
import threading
import urllib.request

import boto3

ENDED = ("Succeeded", "Failed", "Stopped")


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--env", required=True)
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--control", required=True)
    ap.add_argument("--status", default="Succeeded")
    ap.add_argument("--interval", type=float, default=0.2)
    return ap.parse_args()


def pending(cd, application, groups):
    """The ids of the groups' deployments that have not ended."""
    ids = []
    for group in groups:
        ids += cd.list_deployments(applicationName=application,
                                   deploymentGroupName=group)["deployments"]
    if not ids:
        return []
    infos = cd.batch_get_deployments(deploymentIds=ids)["deploymentsInfo"]
    return [i["deploymentId"] for i in infos if i["status"] not in ENDED]


def move(control, deployment_id, status):
    req = urllib.request.Request(f"{control}/codedeploy/{deployment_id}/{status}", data=b"",
                                 method="POST")
    with urllib.request.urlopen(req, timeout=5) as resp:
        return resp.status == 204


def main():
    args = parse_args()
    aws = json.load(open(args.env))["aws"]
    cd = boto3.client("codedeploy", endpoint_url=args.endpoint, region_name=aws["region"])
    application = aws["codedeploy"]["application"]
    groups = list(aws["codedeploy"]["deployment_groups"].values())
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.is_set():
        try:
            for deployment_id in pending(cd, application, groups):
                if move(args.control, deployment_id, args.status):
                    print(f"{deployment_id} {args.status}", flush=True)
        except Exception as e:  # moto busy or restarting: try again next round
            print(f"codedeploy_agent: {e}", file=sys.stderr, flush=True)
        stop.wait(args.interval)


if __name__ == "__main__":
    main()
