#!/usr/bin/env python3
"""moto_server - moto's AWS server on a free loopback port, with SigV4
checking on, for cutover's aws provider tests.

usage: moto_server.py --ready-file PATH [--no-auth-count N]

Starts moto's server in this process (ThreadedMotoServer) with
INITIAL_NO_AUTH_ACTION_COUNT=N (default 3): moto answers the first N
requests without checking them, so that tests/aws/fixture.py can create
an IAM user and its access key; from then on moto re-computes every
request's SigV4 signature and checks the caller's IAM policy, like AWS.

When ready, writes {"endpoint": URL, "control": URL, "pid": PID} to the
ready file and serves until SIGTERM or SIGINT.

TEST SCAFFOLDING ONLY. moto never finishes a CodeDeploy deployment (it
stays Created) and has no StopDeployment. The control URL stands in for
the CodeDeploy agent that would run the hooks on the instances:
    POST <control>/codedeploy/<deployment id>/<Succeeded|Failed|InProgress|...>
sets that deployment's status, and
this launcher adds a StopDeployment handler to moto that marks the
deployment Stopped. Neither exists in cutover's product code.

Also scaffolding: moto re-computes the signature of a request that has no
body (a GET) over its parsed parameters, as if they were a form body, so
that every CloudFront GET fails with SignatureDoesNotMatch, botocore's
too. The launcher makes moto check such a request against its real, empty
body; the signature is still checked.
"""
import argparse
import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ready-file", required=True)
    ap.add_argument("--no-auth-count", type=int, default=3)
    return ap.parse_args()


def deployments():
    """Every CodeDeploy deployment moto holds, by id."""
    from moto.codedeploy.models import codedeploy_backends

    found = {}
    for _account, regions in codedeploy_backends.items():
        for _region, backend in regions.items():
            found.update(backend.deployments)
    return found


def set_status(deployment_id, status):
    """Move one deployment to status, as the CodeDeploy agent would."""
    deployment = deployments().get(deployment_id)
    if deployment is None:
        return False
    deployment.status = status
    return True


def add_stop_deployment():
    """Give moto's CodeDeploy a StopDeployment (scaffolding, see above)."""
    from moto.codedeploy.responses import CodeDeployResponse

    def stop_deployment(self):
        deployment_id = self._get_param("deploymentId")
        deployment = deployments().get(deployment_id)
        if deployment is None:
            return 400, {}, json.dumps({"__type": "DeploymentDoesNotExistException",
                                        "message": f"no deployment {deployment_id}"})
        if deployment.status in ("Succeeded", "Failed", "Stopped"):
            return 400, {}, json.dumps({"__type": "DeploymentAlreadyCompletedException",
                                        "message": f"{deployment_id} already ended"})
        deployment.status = "Stopped"
        return json.dumps({"status": "Succeeded", "statusMessage": "stopped by request"})

    CodeDeployResponse.stop_deployment = stop_deployment


def sign_empty_bodies():
    """Check a bodiless GET, HEAD or DELETE against its empty body (see above)."""
    from moto.iam.access_control import IAMRequestBase

    original = IAMRequestBase._create_aws_request

    def create_aws_request(self):
        if self._body or self._method not in ("GET", "HEAD", "DELETE"):
            return original(self)
        parsed, self._data = self._data, b""
        try:
            return original(self)
        finally:
            self._data = parsed

    IAMRequestBase._create_aws_request = create_aws_request


class ControlHandler(BaseHTTPRequestHandler):
    """POST /codedeploy/<id>/<status>: 204, or 404 when moto has no such deployment."""

    def do_POST(self):
        parts = self.path.strip("/").split("/")
        if len(parts) == 3 and parts[0] == "codedeploy" and set_status(parts[1], parts[2]):
            self.send_response(204)
        else:
            self.send_response(404)
        self.end_headers()

    def log_message(self, fmt, *args):
        sys.stderr.write("moto-control: " + fmt % args + "\n")


def main():
    args = parse_args()
    os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = str(args.no_auth_count)
    from moto.server import ThreadedMotoServer  # reads the variable at import

    add_stop_deployment()
    sign_empty_bodies()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    control = ThreadingHTTPServer(("127.0.0.1", 0), ControlHandler)
    threading.Thread(target=control.serve_forever, daemon=True).start()
    ready = {"endpoint": f"http://{host}:{port}",
             "control": f"http://127.0.0.1:{control.server_address[1]}", "pid": os.getpid()}
    tmp = args.ready_file + ".tmp"
    with open(tmp, "w") as f:
        json.dump(ready, f)
    os.rename(tmp, args.ready_file)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    control.shutdown()
    server.stop()


if __name__ == "__main__":
    main()
