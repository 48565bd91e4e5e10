#!/usr/bin/env python3
"""Builds the inputs of bench/dns/run.sh from data/geo: a GeoIP2-Country-layout mmdb for the test
subnets, the PowerDNS geoip zone, the brink POP file and edge config, and dnsperf's binary query
file (one `d0.cdn.test A` query per /24 with ECS, length-prefixed wire format for `dnsperf -B`).

Usage: make_inputs.py DATA_DIR OUT_DIR  (needs `mmdb-writer` from PyPI for the mmdb)."""
import csv, ipaddress, json, math, random, struct, sys

data, out = sys.argv[1], sys.argv[2]
ranges = list(csv.DictReader(open(f"{data}/test-ranges.csv")))
cents = {r["code"]: (float(r["lat"]), float(r["lon"])) for r in csv.DictReader(open(f"{data}/country-centroids.csv"))}
pops = list(csv.DictReader(open(f"{data}/pops.csv")))

def hav(a, b):
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(b[1] - a[1]) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))

def addr(i):
    return f"127.0.1.{i + 1}"

# POP file and the nearest POP per country (same rule as brink dns).
with open(f"{out}/pops.csv", "w") as f:
    f.write("code,city,country,lat,lon,address\n")
    for i, p in enumerate(pops):
        f.write(f'{p["code"]},"{p["city"]}",{p["country"]},{p["lat"]},{p["lon"]},{addr(i)}\n')
countries = sorted({r["country"] for r in ranges})
nearest = {}
for c in countries:
    d = [hav(cents[c], (float(p["lat"]), float(p["lon"]))) for p in pops]
    nearest[c] = d.index(min(d))

# GeoIP2-Country layout: {"country": {"iso_code": CC}} for every test CIDR.
from mmdb_writer import MMDBWriter
from netaddr import IPSet
w = MMDBWriter(ip_version=6, database_type="GeoIP2-Country", languages=["en"], description="brink bench", ipv4_compatible=True)
for r in ranges:
    w.insert_network(IPSet([r["cidr"]]), {"country": {"iso_code": r["country"]}})
w.to_db_file(f"{out}/bench-geoip2-country.mmdb")

# PowerDNS geoip zone: d0.cdn.test → %cc.geo.cdn.test → the nearest POP's address.
lines = ["domains:", "- domain: cdn.test", "  ttl: 60", "  records:", "    cdn.test:",
         "      - soa: ns1.cdn.test hostmaster.cdn.test 1 3600 600 86400 60", "      - ns: ns1.cdn.test"]
for c in countries:
    lines += [f"    {c.lower()}.geo.cdn.test:", f"      - a: {addr(nearest[c])}"]
lines += ["    unknown.geo.cdn.test:", f"      - a: {addr(0)}", "  services:", "    d0.cdn.test: '%cc.geo.cdn.test'"]
open(f"{out}/zones.yaml", "w").write("\n".join(lines) + "\n")

# brink edge config with d0.cdn.test.
cfg = {"Distributions": [{"Id": "EBENCH0000001", "DomainName": "d0.cdn.test", "DistributionConfig": {
    "CallerReference": "bench", "Comment": "", "Enabled": True,
    "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "127.0.0.1", "CustomOriginConfig": {
        "HTTPPort": 8080, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"}}]},
    "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all",
                             "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"}}}]}
json.dump(cfg, open(f"{out}/cfg.json", "w"))

# Queries: every /24 of the IPv4 test ranges, shuffled (fixed seed); expected answers alongside.
subnets = []
for r in ranges:
    net = ipaddress.ip_network(r["cidr"])
    if net.version == 4:
        for s in net.subnets(new_prefix=24):
            subnets.append((s, r["country"]))
random.Random(12).shuffle(subnets)
qname = b"".join(bytes([len(l)]) + l.encode() for l in "d0.cdn.test".split(".")) + b"\0"
with open(f"{out}/queries.bin", "wb") as f, open(f"{out}/expected.csv", "w") as e:
    for i, (s, c) in enumerate(subnets):
        ecs = struct.pack("!HBB", 1, 24, 0) + s.network_address.packed[:3]
        opt = b"\0" + struct.pack("!HHIH", 41, 1232, 0, 4 + len(ecs)) + struct.pack("!HH", 8, len(ecs)) + ecs
        msg = struct.pack("!HHHHHH", i & 0xFFFF, 0, 1, 0, 0, 1) + qname + struct.pack("!HH", 1, 1) + opt
        f.write(struct.pack("!H", len(msg)) + msg)
        e.write(f"{s},{c},{addr(nearest[c])}\n")
print(f"{len(subnets)} ECS subnets, {len(countries)} countries")
