#!/usr/bin/env python3
"""throttle_proxy - a loopback HTTP proxy in front of moto that answers
Throttling on demand, for the aws provider's retry tests.

usage: throttle_proxy.py --target URL --ready-file PATH

Forwards every request to --target unchanged (method, path, headers,
Host included, and body, so moto still checks the SigV4 signature the
client computed for the proxy's address) and relays the answer. When
armed, it answers the next N requests itself, without forwarding them,
with HTTP 400 and a Query API error:
    <ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>
    <Message>Rate exceeded</Message></Error><RequestId>...</RequestId></ErrorResponse>

Control (never forwarded):
    POST /__proxy/throttle/N	throttle the next N requests
    GET  /__proxy/count		requests received since the last arming
When ready, writes {"url": URL} to the ready file. Test scaffolding only.
"""
import argparse
import http.client
import json
import os
import threading
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATE = {"throttle": 0, "count": 0}
LOCK = threading.Lock()
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade"}


class ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    target = None

    def control(self):
        parts = self.path.strip("/").split("/")
        with LOCK:
            if self.command == "POST" and len(parts) == 3 and parts[1] == "throttle":
                STATE["throttle"], STATE["count"] = int(parts[2]), 0
                body = b"armed\n"
            else:
                body = f"{STATE['count']}\n".encode()
        self.reply(200, {"Content-Type": "text/plain"}, body)

    def reply(self, status, headers, body):
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def throttled(self):
        request_id = str(uuid.uuid4())
        body = ("<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
                "<Message>Rate exceeded</Message></Error>"
                f"<RequestId>{request_id}</RequestId></ErrorResponse>").encode()
        self.reply(400, {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}, body)

    def forward(self, body):
        url = urllib.parse.urlsplit(self.target)
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        conn.request(self.command, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        relay = {k: v for k, v in resp.getheaders()
                 if k.lower() not in HOP_BY_HOP and k.lower() != "content-length"}
        conn.close()
        self.reply(resp.status, relay, data)

    def handle_any(self):
        if self.path.startswith("/__proxy/"):
            return self.control()
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with LOCK:
            STATE["count"] += 1
            throttle = STATE["throttle"] > 0
            if throttle:
                STATE["throttle"] -= 1
        return self.throttled() if throttle else self.forward(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = handle_any

    def log_message(self, fmt, *args):
        pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--target", required=True)
    ap.add_argument("--ready-file", required=True)
    args = ap.parse_args()
    ProxyHandler.target = args.target
    server = ThreadingHTTPServer(("127.0.0.1", 0), ProxyHandler)
    tmp = args.ready_file + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"url": f"http://127.0.0.1:{server.server_address[1]}"}, f)
    os.rename(tmp, args.ready_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
