#!/usr/bin/env python3
"""Propagation benchmark: how long until a change made through the CloudFront API is in force
on every edge of `brink up`.

For N edges (default 5) it starts `brink up` on loopback, creates a distribution in front of
a local origin, then measures, with boto3 against the control plane:

* updates: UpdateDistribution returns -> GetDistribution says Deployed, and the new default
  root object is served by every edge (checked by a request to each);
* invalidations (half exact paths, half wildcards): CreateInvalidation returns ->
  GetInvalidation says Completed, and a request for an object cached before the call is a
  Miss on every edge.

Each edge caches OBJECTS objects first (default 2,000: the edge purges by scanning its index
today, so this does not reproduce the issue's million-object case). Loopback only, bounded in
time; prints one summary line per measure and writes a JSON report.

    target/pyenv/bin/python bench/propagation.py --brink target/release/brink --edges 5
"""
import argparse
import http.client
import http.server
import json
import os
import socketserver
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import boto3


def percentile(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


class Origin(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        body = self.path.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=3600")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def get(addr, host, path):
    h, p = addr.rsplit(":", 1)
    c = http.client.HTTPConnection(h, int(p), timeout=10)
    c.request("GET", path, headers={"Host": host})
    r = c.getresponse()
    r.read()
    c.close()
    return r.status, r.getheader("X-Cache", "")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--brink", default="target/release/brink")
    ap.add_argument("--edges", type=int, default=5)
    ap.add_argument("--updates", type=int, default=30)
    ap.add_argument("--invalidations", type=int, default=200)
    ap.add_argument("--objects", type=int, default=2000)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()

    origin = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Origin)
    origin.daemon_threads = True
    threading.Thread(target=origin.serve_forever, daemon=True).start()
    oport = origin.server_address[1]

    data = tempfile.mkdtemp(prefix="brink-prop-")
    up = subprocess.Popen(
        [a.brink, "up", "--data-dir", data, "--edges", str(a.edges), "--control-listen",
         "127.0.0.1:0", "--edge-port", "0", "--dns-listen", "127.0.0.1:0",
         "--memory-cache", "64MiB"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        up.stdout.readline()
        env = {}
        for line in open(os.path.join(data, "env")):
            if line.startswith("export "):
                k, v = line[7:].strip().split("=", 1)
                env[k] = v.strip("'")
        edges = [e.split("=", 1)[1] for e in env["BRINK_EDGES"].split()]
        cf = boto3.client("cloudfront", endpoint_url=env["AWS_ENDPOINT_URL_CLOUDFRONT"],
                          aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                          aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
                          region_name="us-east-1")
        cfg = {"CallerReference": "bench", "Comment": "", "Enabled": True,
               "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "127.0.0.1",
                   "CustomOriginConfig": {"HTTPPort": oport, "HTTPSPort": 443,
                                          "OriginProtocolPolicy": "http-only"}}]},
               "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all",
                   "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"}}
        r = cf.create_distribution(DistributionConfig=cfg)
        dist, host, etag = r["Distribution"]["Id"], r["Distribution"]["DomainName"], r["ETag"]
        while cf.get_distribution(Id=dist)["Distribution"]["Status"] != "Deployed":
            time.sleep(0.01)
        # Fill every edge.
        for e in edges:
            for i in range(a.objects):
                get(e, host, f"/obj/{i}")

        update_ms = []
        for u in range(a.updates):
            c = cf.get_distribution_config(Id=dist)
            conf, etag = c["DistributionConfig"], c["ETag"]
            conf["DefaultRootObject"] = f"root-{u}"
            t0 = time.monotonic()
            cf.update_distribution(Id=dist, IfMatch=etag, DistributionConfig=conf)
            while cf.get_distribution(Id=dist)["Distribution"]["Status"] != "Deployed":
                time.sleep(0.002)
            dt = (time.monotonic() - t0) * 1000
            for e in edges:  # in force everywhere once Deployed
                s, _ = get(e, host, "/")
                assert s == 200, (e, s)
            update_ms.append(dt)

        inv_ms, misses_ok = [], 0
        for i in range(a.invalidations):
            wildcard = i % 2 == 1
            obj = i % a.objects
            for e in edges:
                get(e, host, f"/obj/{obj}")  # cached before the call
            path = f"/obj/{obj}*" if wildcard else f"/obj/{obj}"
            t0 = time.monotonic()
            inv = cf.create_invalidation(DistributionId=dist, InvalidationBatch={
                "Paths": {"Quantity": 1, "Items": [path]}, "CallerReference": f"b{i}"})
            iid = inv["Invalidation"]["Id"]
            while cf.get_invalidation(DistributionId=dist, Id=iid)["Invalidation"]["Status"] != "Completed":
                time.sleep(0.002)
            inv_ms.append((time.monotonic() - t0) * 1000)
            if all(get(e, host, f"/obj/{obj}")[1].startswith("Miss") for e in edges):
                misses_ok += 1

        report = {
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "edges": a.edges, "objects_per_edge": a.objects,
            "update_to_deployed_ms": {"n": len(update_ms), "p50": percentile(update_ms, 50),
                                      "p99": percentile(update_ms, 99), "max": max(update_ms)},
            "invalidation_to_completed_ms": {"n": len(inv_ms), "p50": percentile(inv_ms, 50),
                                             "p99": percentile(inv_ms, 99), "max": max(inv_ms)},
            "invalidations_enforced_on_every_edge": misses_ok,
        }
        print(f"propagation edges={a.edges} update_deployed_ms p50={report['update_to_deployed_ms']['p50']:.1f} "
              f"p99={report['update_to_deployed_ms']['p99']:.1f} invalidation_completed_ms "
              f"p50={report['invalidation_to_completed_ms']['p50']:.1f} "
              f"p99={report['invalidation_to_completed_ms']['p99']:.1f} "
              f"enforced={misses_ok}/{len(inv_ms)}")
        if a.out:
            with open(a.out, "w") as f:
                json.dump(report, f, indent=2)
    finally:
        up.terminate()
        try:
            up.wait(30)
        except subprocess.TimeoutExpired:
            up.kill()


if __name__ == "__main__":
    sys.exit(main())
