#!/usr/bin/env python3
"""Propagation benchmark: how long until a change made through the CloudFront API is in force
on every edge, with each edge holding many objects.

It starts a control plane and N edges on loopback, creates a distribution in front of a local
origin, fills every edge with OBJECTS tiny objects, then measures, with boto3 against the
control plane:

* invalidations (half exact paths, half wildcards): CreateInvalidation returns ->
  GetInvalidation says Completed, and a request for an object cached before the call is a
  Miss on every edge ("enforced");
* updates: UpdateDistribution returns -> GetDistribution says Deployed, and the new default
  root object is served by every edge (checked by a request to each).

Two ways to start the CDN:

* ``--launch up`` (default): ``brink up --edges N`` (at most 20 edges; every edge has its disk
  tier in the data directory);
* ``--launch direct``: the script starts ``brink control`` and N ``brink edge --control``
  processes itself, memory tier only (any N; a million tiny objects per edge would otherwise
  be a million files per edge on disk).

The origin is nginx (``return 200``, tiny body) when it is installed, else a Python server;
the edges are filled by curl in parallel mode (``--fill-conns`` keep-alive connections per
edge), and each edge's object count is read from its ``/metrics`` (direct mode) before the
measurements start. Edge memory (RSS, from /proc) is reported after the fill and at the end.

    target/pyenv/bin/python bench/propagation.py --brink target/release/brink --launch direct \\
        --edges 5 --objects 1000000 --memory-cache 4GiB --out report.json
"""
import argparse
import http.client
import http.server
import json
import os
import re
import shutil
import socket
import socketserver
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


def stats(xs):
    return {"n": len(xs), "p50": percentile(xs, 50), "p90": percentile(xs, 90),
            "p99": percentile(xs, 99), "max": max(xs) if xs else float("nan")}


class Origin(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        body = b"x\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=86400")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_origin(tmp):
    """nginx if installed (fast enough to fill millions of objects), else Python."""
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if nginx:
        port = free_port()
        conf = os.path.join(tmp, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"""worker_processes 1;
daemon off;
master_process off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log;
events {{ worker_connections 8192; }}
http {{
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  client_body_temp_path {tmp}/nginx-body;
  proxy_temp_path {tmp}/nginx-proxy;
  fastcgi_temp_path {tmp}/nginx-fcgi;
  uwsgi_temp_path {tmp}/nginx-uwsgi;
  scgi_temp_path {tmp}/nginx-scgi;
  server {{
    listen 127.0.0.1:{port};
    location / {{
      default_type text/plain;
      add_header Cache-Control "max-age=86400" always;
      return 200 "x\\n";
    }}
  }}
}}
""")
        proc = subprocess.Popen([nginx, "-p", tmp, "-c", conf, "-e", os.path.join(tmp, "nginx-error.log")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return "nginx", port, proc.terminate
            except OSError:
                time.sleep(0.05)
        proc.kill()
    origin = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Origin)
    origin.daemon_threads = True
    threading.Thread(target=origin.serve_forever, daemon=True).start()
    return "python", origin.server_address[1], origin.shutdown


class Conn:
    """One keep-alive connection to an edge (reconnects when the edge closes it)."""

    def __init__(self, addr):
        self.host, self.port = addr.rsplit(":", 1)
        self.c = None

    def get(self, host, path):
        for attempt in range(2):
            if self.c is None:
                self.c = http.client.HTTPConnection(self.host, int(self.port), timeout=30)
            try:
                self.c.request("GET", path, headers={"Host": host})
                r = self.c.getresponse()
                r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.c.close()
                    self.c = None
                return r.status, r.getheader("X-Cache", "")
            except (http.client.HTTPException, OSError):
                self.c.close()
                self.c = None
                if attempt:
                    raise


def read_ready(proc, what, timeout=120):
    """Reads a child's `brink ready k=v ...` line; drains its stdout afterwards."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise SystemExit(f"{what} exited before it was ready")
        if line.startswith("brink ready"):
            threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
            return dict(kv.split("=", 1) for kv in line.split()[2:] if "=" in kv)
    raise SystemExit(f"{what} was not ready in {timeout}s")


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def metric(admin, name):
    h, p = admin.rsplit(":", 1)
    c = http.client.HTTPConnection(h, int(p), timeout=30)
    c.request("GET", "/metrics")
    text = c.getresponse().read().decode()
    c.close()
    m = re.search(r"^" + re.escape(name) + r" ([0-9.e+]+)$", text, re.M)
    return float(m.group(1)) if m else None


class Cdn:
    """The control plane and the edges, however started."""

    def __init__(self, a, data):
        self.procs, self.edge_pids, self.admins = [], [], []
        if a.launch == "up":
            self._up(a, data)
        else:
            self._direct(a, data)

    def _up(self, a, data):
        up = subprocess.Popen(
            [a.brink, "up", "--data-dir", data, "--edges", str(a.edges), "--control-listen",
             "127.0.0.1:0", "--edge-port", "0", "--dns-listen", "127.0.0.1:0",
             "--memory-cache", a.memory_cache],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.procs.append(up)
        up.stdout.readline()
        env = {}
        for line in open(os.path.join(data, "env")):
            if line.startswith("export "):
                k, v = line[7:].strip().split("=", 1)
                env[k] = v.strip("'")
        self.edges = [e.split("=", 1)[1] for e in env["BRINK_EDGES"].split()]
        self.endpoint = env["AWS_ENDPOINT_URL_CLOUDFRONT"]
        self.key, self.secret = env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]
        out = subprocess.run(["ps", "-o", "pid=,args=", "--ppid", str(up.pid)],
                             capture_output=True, text=True).stdout
        self.edge_pids = [int(l.split()[0]) for l in out.splitlines() if " edge " in l]

    def _direct(self, a, data):
        control_dir = os.path.join(data, "control")
        control = subprocess.Popen(
            [a.brink, "control", "--listen", "127.0.0.1:0", "--data-dir", control_dir,
             "--cdn-domain", "cdn.test"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.procs.append(control)
        ready = read_ready(control, "brink control")
        self.endpoint = f"http://{ready['listen']}"
        creds = {}
        for line in open(os.path.join(control_dir, "credentials")):
            if "=" in line:
                k, v = line.split("=", 1)
                creds[k.strip()] = v.strip()
        self.key, self.secret = creds["aws_access_key_id"], creds["aws_secret_access_key"]
        self.edges = []
        for i in range(a.edges):
            pop = f"E{i:02d}-C1"
            ip = f"127.0.{(2 + i) // 256}.{(2 + i) % 256}"
            edge = subprocess.Popen(
                [a.brink, "edge", "--control", self.endpoint, "--control-token-file",
                 os.path.join(control_dir, "edge-token"), "--state-dir",
                 os.path.join(data, "edges", pop), "--pop", pop, "--listen", f"{ip}:0",
                 "--admin", f"{ip}:0", "--memory-cache", a.memory_cache, "--cdn-domain",
                 "cdn.test", "--threads", "1"],
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            self.procs.append(edge)
            r = read_ready(edge, pop)
            self.edges.append(r["listen"])
            self.admins.append(r["admin"])
            self.edge_pids.append(edge.pid)

    def rss_mib(self):
        return [round(rss_kib(p) / 1024, 1) for p in self.edge_pids]

    def stop(self):
        for p in reversed(self.procs):
            p.terminate()
        for p in reversed(self.procs):
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()


def fill(cdn, host, n, conns):
    """Every edge gets /obj/0 .. /obj/<n-1>, by curl in parallel mode (keep-alive)."""
    t0 = time.monotonic()
    procs = [subprocess.Popen(
        ["curl", "-s", "--parallel", "--parallel-immediate", "--parallel-max", str(conns),
         "-H", f"Host: {host}", f"http://{e}/obj/[0-{n - 1}]"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for e in cdn.edges]
    for p in procs:
        p.wait()
    return time.monotonic() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--brink", default="target/release/brink")
    ap.add_argument("--launch", choices=["up", "direct"], default="up")
    ap.add_argument("--edges", type=int, default=5)
    ap.add_argument("--updates", type=int, default=30)
    ap.add_argument("--invalidations", type=int, default=200)
    ap.add_argument("--objects", type=int, default=2000)
    ap.add_argument("--memory-cache", default="64MiB")
    ap.add_argument("--fill-conns", type=int, default=16)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="brink-prop-")
    origin_kind, oport, stop_origin = start_origin(tmp)
    data = os.path.join(tmp, "data")
    cdn = None
    try:
        cdn = Cdn(a, data)
        cf = boto3.client("cloudfront", endpoint_url=cdn.endpoint, aws_access_key_id=cdn.key,
                          aws_secret_access_key=cdn.secret, region_name="us-east-1")
        cfg = {"CallerReference": "bench", "Comment": "", "Enabled": True,
               "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "127.0.0.1",
                   "CustomOriginConfig": {"HTTPPort": oport, "HTTPSPort": 443,
                                          "OriginProtocolPolicy": "http-only"}}]},
               "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all",
                   "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"}}
        r = cf.create_distribution(DistributionConfig=cfg)
        dist, host = r["Distribution"]["Id"], r["Distribution"]["DomainName"]
        while cf.get_distribution(Id=dist)["Distribution"]["Status"] != "Deployed":
            time.sleep(0.01)
        conns = [Conn(e) for e in cdn.edges]

        fill_s = fill(cdn, host, a.objects, a.fill_conns)
        objects = [metric(adm, 'brink_cache_objects{tier="memory"}') for adm in cdn.admins]
        rss_filled = cdn.rss_mib()
        print(f"filled edges={a.edges} objects_per_edge={a.objects} in_s={fill_s:.1f} "
              f"rate_per_s={a.edges * a.objects / fill_s:.0f} origin={origin_kind} "
              f"edge_objects={objects} edge_rss_mib={rss_filled}", flush=True)
        if cdn.admins and any(o is None or o < a.objects for o in objects):
            raise SystemExit(f"an edge holds fewer than {a.objects} objects: {objects}")

        inv_ms, misses_ok = [], 0
        exact_ms, wild_ms = [], []
        for i in range(a.invalidations):
            wildcard = i % 2 == 1
            obj = (i * 7919) % a.objects
            for c in conns:  # cached before the call (an earlier wildcard may have taken it)
                s, x = c.get(host, f"/obj/{obj}")
                if not x.startswith("Hit"):
                    s, x = c.get(host, f"/obj/{obj}")
                assert s == 200 and x.startswith("Hit"), (s, x)
            path = f"/obj/{obj}*" if wildcard else f"/obj/{obj}"
            t0 = time.monotonic()
            inv = cf.create_invalidation(DistributionId=dist, InvalidationBatch={
                "Paths": {"Quantity": 1, "Items": [path]}, "CallerReference": f"b{i}"})
            iid = inv["Invalidation"]["Id"]
            while cf.get_invalidation(DistributionId=dist, Id=iid)["Invalidation"]["Status"] != "Completed":
                time.sleep(0.002)
            dt = (time.monotonic() - t0) * 1000
            inv_ms.append(dt)
            (wild_ms if wildcard else exact_ms).append(dt)
            if all(c.get(host, f"/obj/{obj}")[1].startswith("Miss") for c in conns):
                misses_ok += 1

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
            for conn in conns:  # in force everywhere once Deployed
                s, _ = conn.get(host, "/")
                assert s == 200, s
            update_ms.append(dt)

        # How long the lurkers take to retire every ban (their passes walk a million objects).
        retired_s = None
        if cdn.admins:
            t0 = time.monotonic()
            while time.monotonic() - t0 < 300:
                if all(metric(adm, "brink_cache_bans_active") == 0 for adm in cdn.admins):
                    retired_s = round(time.monotonic() - t0, 1)
                    break
                time.sleep(0.5)
        bans = [{"active": metric(adm, "brink_cache_bans_active"),
                 "total": metric(adm, "brink_cache_bans_total"),
                 "lurker_removals": metric(adm, 'brink_cache_ban_removals_total{by="lurker"}'),
                 "lookup_removals": metric(adm, 'brink_cache_ban_removals_total{by="lookup"}'),
                 "objects": metric(adm, 'brink_cache_objects{tier="memory"}')}
                for adm in cdn.admins]
        report = {
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "launch": a.launch, "edges": a.edges, "objects_per_edge": a.objects,
            "origin": origin_kind, "memory_cache": a.memory_cache,
            "fill_seconds": round(fill_s, 1), "edge_objects_after_fill": objects,
            "edge_rss_mib_after_fill": rss_filled, "edge_rss_mib_at_end": cdn.rss_mib(),
            "update_to_deployed_ms": stats(update_ms),
            "invalidation_to_completed_ms": stats(inv_ms),
            "exact_invalidation_to_completed_ms": stats(exact_ms),
            "wildcard_invalidation_to_completed_ms": stats(wild_ms),
            "invalidations_enforced_on_every_edge": misses_ok,
            "edge_bans_at_end": bans,
            "seconds_until_every_ban_retired_after_the_updates": retired_s,
        }
        print(f"propagation edges={a.edges} objects_per_edge={a.objects} "
              f"update_deployed_ms p50={report['update_to_deployed_ms']['p50']:.1f} "
              f"p99={report['update_to_deployed_ms']['p99']:.1f} invalidation_completed_ms "
              f"p50={report['invalidation_to_completed_ms']['p50']:.1f} "
              f"p99={report['invalidation_to_completed_ms']['p99']:.1f} "
              f"wildcard_p99={report['wildcard_invalidation_to_completed_ms']['p99']:.1f} "
              f"enforced={misses_ok}/{len(inv_ms)} rss_mib_max={max(report['edge_rss_mib_at_end'] or [0])} "
              f"bans_retired_after_s={retired_s}")
        if a.out:
            with open(a.out, "w") as f:
                json.dump(report, f, indent=2)
    finally:
        if cdn:
            cdn.stop()
        stop_origin()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
