#!/usr/bin/env bash
# bench/dns/run.sh — dnsperf against `brink dns` and PowerDNS (geoip backend) serving the same zone
# with the same geo data, same run, loopback only, bounded in time.
#
#   bench/dns/run.sh [SECONDS]      (default 30 s per server; env BRINK=path to a release binary)
#
# Data: both servers get one GeoIP2-Country-layout mmdb written (PyPI `mmdb-writer`) for the test
# ranges of data/geo/test-ranges.csv: PowerDNS's geoip backend needs GeoIP2 records
# (`country.iso_code`) and the shipped iptoasn file's records are flat; brink reads either layout,
# so it is given the same file. Queries: one `d0.cdn.test A` per /24 of the IPv4 test ranges
# (> 10,000 distinct ECS subnets, shuffled), sent by `dnsperf -B` from a binary file. Both servers
# answer d0.cdn.test with the POP nearest to the subnet's country centroid (PowerDNS through a
# `%cc` service and per-country records computed by make_inputs.py). p99 comes from dnsperf -v's
# per-query latencies. Runs each server at its highest rate, then both at the same offered rate
# (dnsperf -Q, 90 % of PowerDNS's highest). Writes bench/dns/report.md and bench/dns/raw.txt
# (dnsperf's summaries). Env THREADS: brink dns --threads (default 2).
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=${1:-30}
CLIENTS=${CLIENTS:-8}
BRINK=${BRINK:-target/release/brink}
THREADS=${THREADS:-2}
need=()
command -v dnsperf >/dev/null || need+=(dnsperf)
command -v pdns_server >/dev/null || need+=(pdns-server)
[ -e /usr/lib/x86_64-linux-gnu/pdns/libgeoipbackend.so ] || ls /usr/lib/*/pdns/libgeoipbackend.so >/dev/null 2>&1 || need+=(pdns-backend-geoip)
command -v dig >/dev/null || need+=(bind9-dnsutils)
extra_packages=("${need[@]+"${need[@]}"}")
# shellcheck source=scripts/ensure-tools.sh
source scripts/ensure-tools.sh
[ -x "$BRINK" ] || cargo build --release -p brink
W=$(mktemp -d /tmp/brink-dns-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$W"; }
trap cleanup EXIT
python3 -m venv "$W/venv" >/dev/null
"$W/venv/bin/pip" install -q mmdb-writer
"$W/venv/bin/python" bench/dns/make_inputs.py data/geo "$W"

# brink dns on a free port.
"$BRINK" dns --listen 127.0.0.1:0 --zone cdn.test --config "$W/cfg.json" --pops "$W/pops.csv" \
  --geo-db "$W/bench-geoip2-country.mmdb" --threads "$THREADS" >"$W/brink.out" 2>"$W/brink.err" &
pids+=($!)
for _ in $(seq 100); do grep -q "brink ready" "$W/brink.out" 2>/dev/null && break; sleep 0.1; done
BPORT=$(sed -n 's/.*dns=127.0.0.1:\([0-9]*\).*/\1/p' "$W/brink.out")
[ -n "$BPORT" ] || { cat "$W/brink.err"; exit 1; }

# PowerDNS on a free port.
PPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$W/pdns.conf" <<CONF
launch=geoip
geoip-database-files=mmdb:$W/bench-geoip2-country.mmdb
geoip-zones-file=$W/zones.yaml
edns-subnet-processing=yes
local-address=127.0.0.1:$PPORT
socket-dir=$W
guardian=no
daemon=no
disable-syslog=yes
loglevel=3
webserver=no
CONF
pdns_server --config-dir="$W" >"$W/pdns.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do dig @127.0.0.1 -p "$PPORT" +short +tries=1 +time=1 cdn.test SOA >/dev/null 2>&1 && break; sleep 0.1; done

# Correctness first: both agree with the expected POP on a sample of subnets.
check() { # port
  local bad=0 n=0
  while IFS=, read -r subnet _country want; do
    got=$(dig @127.0.0.1 -p "$1" +short +tries=2 +time=1 "+subnet=$subnet" d0.cdn.test A)
    [ "$got" = "$want" ] || { bad=$((bad + 1)); echo "  $subnet: got '$got' want $want" >&2; }
    n=$((n + 1))
  done < <(awk 'NR % 500 == 1' "$W/expected.csv")
  echo "$n checked, $bad wrong"
}
echo "brink dns (port $BPORT): $(check "$BPORT")"
echo "PowerDNS  (port $PPORT): $(check "$PPORT")"

run() { # name port [dnsperf args...]
  local name=$1 port=$2; shift 2
  dnsperf -s 127.0.0.1 -p "$port" -B -d "$W/queries.bin" -l "$SECS" -c "$CLIENTS" -T 1 -v "$@" >"$W/$name.perf" 2>&1 || true
  # Raw: dnsperf's own summary (everything but the per-query lines).
  { echo "== $name: dnsperf -l $SECS -c $CLIENTS -T 1 $*"; grep -v '^> ' "$W/$name.perf"; } >>bench/dns/raw.txt
  python3 - "$W/$name.perf" "$name" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
lat = sorted(float(m) for m in re.findall(r"^> \S+ .* ([0-9.]+)$", text, re.M))
qps = re.search(r"Queries per second:\s+([0-9.]+)", text)
lost = re.search(r"Queries lost:\s+(\d+)", text)
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000 if lat else float("nan")
print(f"| {sys.argv[2]} | {float(qps.group(1)) if qps else float('nan'):.0f} | {p(0.5):.3f} | {p(0.99):.3f} | {p(0.999):.3f} | {lost.group(1) if lost else '?'} | {len(lat)} |")
PY
}
: >bench/dns/raw.txt
{
  echo "# brink dns vs PowerDNS geoip — $(date -u +%FT%TZ)"
  echo
  echo "dnsperf $(dnsperf -h 2>&1 | sed -n 's/^Version //p'), ${SECS} s each, $CLIENTS clients, 1 thread, loopback;"
  echo "$(wc -l <"$W/expected.csv") distinct ECS /24 subnets; CPU: $(nproc) cores ($(uname -m)); brink dns --threads $THREADS."
  echo
  echo "At the highest rate each reaches (dnsperf keeps 100 queries outstanding per its default -q):"
  echo
  echo "| server | queries/s | p50 ms | p99 ms | p99.9 ms | lost | answers |"
  echo "|---|---|---|---|---|---|---|"
  run brink "$BPORT"
  run powerdns "$PPORT"
} | tee bench/dns/report.md
# The same offered rate for both (dnsperf -Q): 90 % of what PowerDNS reached, so that latency
# is compared where neither is saturated.
PQPS=$(sed -n 's/^| powerdns | \([0-9]*\) .*/\1/p' bench/dns/report.md)
RATE=$(( ${PQPS:-100000} * 9 / 10 ))
{
  echo
  echo "At the same offered rate, $RATE queries/s (dnsperf -Q $RATE):"
  echo
  echo "| server | queries/s | p50 ms | p99 ms | p99.9 ms | lost | answers |"
  echo "|---|---|---|---|---|---|---|"
  run brink-Q "$BPORT" -Q "$RATE"
  run powerdns-Q "$PPORT" -Q "$RATE"
} | tee -a bench/dns/report.md
