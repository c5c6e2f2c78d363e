#!/usr/bin/env python3
"""botocore_crosscheck - sign generated requests with botocore and with
`cutover aws sign`, and compare the canonical request, the string to sign
and the signature.

usage: botocore_crosscheck.py [--cutover PATH] [--count N] [--seed S]

The requests are generated deterministically from the seed: methods, paths
with reserved characters, percent escapes, dot segments and unicode, query
strings with reserved characters, empty values, names without '=' and
repeated names, headers with odd spacing, repeated names and names that are
never signed, empty and non-empty bodies, with and without a session token,
for several services including s3 (botocore's S3SigV4Auth). botocore is the
reference: the first mismatch is printed in full. The output is TAP ("ok -",
"not ok -") and ends with "N passed, M failed"; the exit status is non-zero
on any mismatch.
"""
import argparse
import os
import random
import subprocess
import sys
from urllib.parse import quote

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SERVICES = ["elasticloadbalancing", "autoscaling", "codedeploy", "cloudfront", "service", "s3"]
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2", "us-gov-west-1"]
METHODS = ["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"]
RESERVED = "!$&'()*+,;=:@"
UNICODE = ["é", "ሴ", "日本", "😀", "ü"]
HEADER_NAMES = ["My-Header", "my-header", "X-Amz-Meta-Color", "X-Amz-Target", "Content-Type",
                "Accept", "User-Agent", "Expect", "X-Amzn-Trace-Id", "Connection",
                "X-Amz-Date", "Authorization", "X-Amz-Security-Token", "X-Amz-Content-SHA256",
                "X-Empty", "Cache-Control"]


def piece(rng, alphabet_extra, n_max=6):
    """A short decoded string drawn from letters, digits, unreserved, extras."""
    chars = "abcXYZ019-_.~" + alphabet_extra
    out = []
    for _ in range(rng.randint(0, n_max)):
        if rng.random() < 0.1:
            out.append(rng.choice(UNICODE))
        else:
            out.append(rng.choice(chars))
    return "".join(out)


def encode_component(rng, s, raw_ok):
    """Percent-encode s, leaving some characters of raw_ok unencoded."""
    mode = rng.randint(0, 2)
    if mode == 0:
        return quote(s, safe="")
    if mode == 1:
        return quote(s, safe=raw_ok)
    return quote(s, safe=raw_ok + "".join(UNICODE))  # raw UTF-8 too


def gen_path(rng):
    segs = []
    for _ in range(rng.randint(0, 5)):
        r = rng.random()
        if r < 0.1:
            segs.append(rng.choice([".", "..", ""]))
        elif r < 0.15:
            segs.append("%2F%zz%")  # an encoded slash and a broken escape
        else:
            segs.append(encode_component(rng, piece(rng, RESERVED + " %"), RESERVED.replace("+", "")))
    path = "/" + "/".join(segs)
    if segs and rng.random() < 0.3:
        path += "/"
    return path


def gen_query(rng):
    """A raw query string and the decoded (name, value) pairs it carries."""
    pairs, parts = [], []
    names = []
    for _ in range(rng.choice([0, 0, 1, 2, 3, 5])):
        if names and rng.random() < 0.3:
            name = rng.choice(names)
        else:
            name = piece(rng, RESERVED + " /?") or "k"
        names.append(name)
        value = piece(rng, RESERVED + " /?=")
        enc_name = encode_component(rng, name, "!$'()*,;:@/?")
        if rng.random() < 0.15 and value == "":
            parts.append(enc_name)
        else:
            enc_value = encode_component(rng, value, "!$'()*,;:@/?=")
            if rng.random() < 0.5:
                enc_value = enc_value.replace("%20", "+")
            parts.append(enc_name + "=" + enc_value)
        pairs.append((name, value))
    raw = "&".join(parts)
    if raw and rng.random() < 0.1:
        raw += "&"
    return raw, pairs


def odd_spacing(rng, value):
    words = value.split(" ")
    out = rng.choice(["", " ", "  ", "\t", " \t "])
    for i, w in enumerate(words):
        if i:
            out += rng.choice([" ", "  ", "\t", " \t  "])
        out += w
    return out + rng.choice(["", " ", "   ", "\t"])


def gen_headers(rng, service, host):
    headers = [(rng.choice(["Host", "host", "HOST"]), host)]
    for _ in range(rng.randint(0, 6)):
        name = rng.choice(HEADER_NAMES)
        if name == "X-Empty":
            value = ""
        else:
            value = " ".join(piece(rng, "\"/;=,:", 5) or "v" for _ in range(rng.randint(1, 3)))
        headers.append((name, odd_spacing(rng, value)))
    if service == "s3" and any(n.lower() == "content-md5" for n, _ in headers):
        headers = [(n, v) for n, v in headers if n.lower() != "content-md5"]
    rng.shuffle(headers)
    return headers


def gen_body(rng):
    kind = rng.randint(0, 3)
    if kind == 0:
        return b""
    if kind == 1:
        return b"Action=DescribeListeners&Version=2015-12-01&Marker=a%2Bb"
    if kind == 2:
        return ('{"applicationName": "%s", "n": %d}' % (piece(rng, " "), rng.randint(0, 99))).encode()
    return bytes(rng.randint(0x20, 0x7e) for _ in range(rng.randint(1, 300))) + b"\r\n\n\x00end"


def gen_case(seed, i):
    rng = random.Random(seed * 1000003 + i)
    service = rng.choice(SERVICES)
    host = rng.choice([f"{service}.{rng.choice(REGIONS)}.amazonaws.com", "localhost:5000",
                       "Example.AmazonAWS.com"])
    query, pairs = gen_query(rng)
    token = None
    if rng.random() < 0.4:
        token = "".join(rng.choice("AQoDYXdzEPT/+=0123456789abc") for _ in range(rng.randint(16, 200)))
    return {
        "service": service,
        "region": rng.choice(REGIONS),
        "method": rng.choice(METHODS),
        "path": gen_path(rng),
        "query": query,
        "pairs": pairs,
        "headers": gen_headers(rng, service, host),
        "body": gen_body(rng),
        "token": token,
        "time": "2024%02d%02dT%02d%02d%02dZ" % (rng.randint(1, 12), rng.randint(1, 28),
                                                rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)),
    }


def botocore_sign(case):
    creds = Credentials(ACCESS_KEY, SECRET_KEY, case["token"])
    host = [v for n, v in case["headers"] if n.lower() == "host"][0]
    req = AWSRequest(method=case["method"], url="https://" + host + case["path"], data=case["body"])
    for name, value in case["headers"]:
        req.headers[name] = value
    req.params = list(case["pairs"])
    req.context["timestamp"] = case["time"]
    cls = S3SigV4Auth if case["service"] == "s3" else SigV4Auth
    auth = cls(creds, case["service"], case["region"])
    auth._modify_request_before_signing(req)  # what add_auth does, with our clock
    creq = auth.canonical_request(req)
    sts = auth.string_to_sign(req, creq)
    return creq, sts, auth.signature(sts, req)


def raw_request(case):
    target = case["path"] + ("?" + case["query"] if case["query"] else "")
    lines = [f"{case['method']} {target} HTTP/1.1"]
    lines += [f"{n}:{v}" for n, v in case["headers"]]
    return ("\n".join(lines) + "\n\n").encode("utf-8") + case["body"]


def cutover_sign(binary, case, raw):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY,
               AWS_EC2_METADATA_DISABLED="true", AWS_CONFIG_FILE="/dev/null",
               AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    if case["token"]:
        env["AWS_SESSION_TOKEN"] = case["token"]
    p = subprocess.run([binary, "aws", "sign", "--region", case["region"], "--service",
                        case["service"], "--time", case["time"]],
                       input=raw, capture_output=True, env=env, timeout=30)
    if p.returncode != 0:
        return None, p.stderr.decode("utf-8", "replace")
    out = p.stdout.decode("utf-8")
    creq = out.split("== canonical request ==\n", 1)[1].split("\n\n== string to sign ==\n", 1)[0]
    sts = out.split("\n\n== string to sign ==\n", 1)[1].split("\n\n== signed request ==\n", 1)[0]
    sig = out.split("Signature=", 1)[1][:64]
    return (creq, sts, sig), out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cutover", default=os.path.join(os.environ.get("BUILD", "build"), "bin", "cutover"))
    ap.add_argument("--count", type=int, default=400)
    ap.add_argument("--seed", type=int, default=20150830)
    args = ap.parse_args()
    passed = failed = 0
    shown = False
    for i in range(args.count):
        case = gen_case(args.seed, i)
        raw = raw_request(case)
        want = botocore_sign(case)
        got, out = cutover_sign(args.cutover, case, raw)
        if got == want:
            passed += 1
            continue
        failed += 1
        print(f"not ok - case {i} ({case['service']} {case['method']})")
        if not shown:
            shown = True
            print("# raw request:\n" + "\n".join("#   " + l for l in raw.decode("utf-8", "replace").split("\n")))
            for label, w in zip(("canonical request", "string to sign", "signature"), want):
                print(f"# botocore {label}:\n" + "\n".join("#   " + l for l in w.split("\n")))
            print("# cutover output:\n" + "\n".join("#   " + l for l in out.split("\n")))
    print(f"{'ok' if failed == 0 else 'not ok'} - sigv4 agrees with botocore on {passed} of {args.count} requests (seed {args.seed})")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
