#!/usr/bin/env bash
# Concurrent RTMP viewers of one cached file: `brink edge --rtmp-listen` against nginx-rtmp
# (Debian's libnginx-mod-rtmp, `play` from a local directory), the same FLV, the same number of
# viewers, one server at a time, each on one core's worth of process (nginx: 1 worker; brink:
# the RTMP front end runs on one worker thread). Each viewer is `ffmpeg -c copy -f null`
# (no decoding) playing the whole file. The servers pace differently (brink sends at most 3 s
# ahead of real time, nginx-rtmp as fast as the viewer reads), so the figure that compares
# them is the server's CPU time to stream the whole file to every viewer: viewers per CPU
# second = viewers that got the whole file / server CPU seconds ("viewers at equal CPU").
#
#   bench/rtmp/run.sh [VIEWERS] [SECONDS]     # default 40 viewers, a 20 s file
#
# Loopback only. Needs ffmpeg and nginx with the RTMP module (installed when missing) and
# target/release/brink (cargo build --release -p brink). Prints one summary line per server
# and `rtmp viewers_per_cpu_s brink/nginx=<ratio>`.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
viewers=${1:-40}
secs=${2:-20}
bin=${BRINK_BIN:-$repo/target/release/brink}
[[ -x $bin ]] || { echo "no $bin (cargo build --release -p brink)" >&2; exit 2; }
if ! command -v ffmpeg >/dev/null || [[ ! -e /usr/lib/nginx/modules/ngx_rtmp_module.so ]]; then
  apt-get install -y -q ffmpeg nginx-light libnginx-mod-rtmp bc >/dev/null
fi
work=$(mktemp -d /tmp/brink-rtmp-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
mkdir -p "$work/media"
# nginx workers run as www-data: the media must be readable to them.
chmod 755 "$work" "$work/media"
# SECONDS of 1.5 Mbit/s H.264 + AAC.
ffmpeg -nostdin -loglevel error -y -f lavfi -i testsrc=size=1280x720:rate=25 \
  -f lavfi -i sine=frequency=440:sample_rate=44100 -t "$secs" -c:v libx264 -preset ultrafast \
  -b:v 1500k -g 50 -c:a aac -f flv "$work/media/clip.flv"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# CPU seconds (user+system) of a process and its threads.
cpu_of() { awk '{print ($14+$15)/100}' "/proc/$1/stat"; }

# Runs $viewers clients against URL (extra ffmpeg args after it), each playing the whole
# file; echoes "cpu_seconds complete wall_seconds".
load() {
  local pid=$1 url=$2; shift 2
  local before after ok=0 t0 t1
  local pids=()
  before=$(cpu_of "$pid")
  t0=$(date +%s.%N)
  for ((i = 0; i < viewers; i++)); do
    timeout $((secs * 4 + 30)) ffmpeg -nostdin -loglevel error "$@" -i "$url" -c copy -f null - \
      >"$work/v$i.log" 2>&1 &
    pids+=($!)
  done
  for p in "${pids[@]}"; do
    if wait "$p"; then ok=$((ok + 1)); fi
  done
  t1=$(date +%s.%N)
  after=$(cpu_of "$pid")
  echo "$(echo "$after - $before" | bc -l) $ok $(echo "$t1 - $t0" | bc -l)"
}

# nginx-rtmp
nport=$(free_port)
mkdir -p "$work/nginx/logs"
cat >"$work/nginx/nginx.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;
worker_processes 1;
daemon off;
error_log $work/nginx/logs/error.log warn;
pid $work/nginx/nginx.pid;
events { worker_connections 4096; }
rtmp { server { listen 127.0.0.1:$nport; application vod { play $work/media; } } }
CONF
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" &
sleep 1
nworker=$(pgrep -P "$(cat "$work/nginx/nginx.pid")")
read -r ncpu nok nwall < <(load "$nworker" "rtmp://127.0.0.1:$nport/vod/clip.flv")
kill "$(cat "$work/nginx/nginx.pid")" 2>/dev/null || true
sleep 1

# brink edge
oport=$(free_port)
python3 -m http.server "$oport" --bind 127.0.0.1 --directory "$work/media" >/dev/null 2>&1 &
cat >"$work/edge.json" <<JSON
{"StreamingDistributions": [{"Id": "EBENCHRTMP", "DomainName": "s1bench0000000.cdn.test",
  "StreamingDistributionConfig": {"CallerReference": "bench", "Comment": "",
    "S3Origin": {"DomainName": "127.0.0.1:$oport", "OriginAccessIdentity": ""},
    "Aliases": {"Quantity": 0}, "TrustedSigners": {"Enabled": false, "Quantity": 0},
    "PriceClass": "PriceClass_All", "Enabled": true}}]}
JSON
bport=$(free_port)
RUST_LOG=warn "$bin" edge --config "$work/edge.json" --listen 127.0.0.1:0 --threads 1 \
  --rtmp-listen "127.0.0.1:$bport" >"$work/brink.out" 2>&1 &
bpid=$!
sleep 1
args=(-rtmp_app cfx/st -rtmp_playpath clip.flv -rtmp_tcurl rtmp://s1bench0000000.cdn.test/cfx/st)
# One play first fills the cache (the origin is a Python server).
timeout $((secs * 2 + 10)) ffmpeg -nostdin -loglevel error "${args[@]}" \
  -i "rtmp://127.0.0.1:$bport/cfx/st/clip.flv" -c copy -f null - || true
read -r bcpu bok bwall < <(load "$bpid" "rtmp://127.0.0.1:$bport/cfx/st/clip.flv" "${args[@]}")

echo "rtmp server=nginx-rtmp viewers=$viewers complete=$nok cpu_s=$ncpu wall_s=$nwall viewers_per_cpu_s=$(echo "scale=1; $nok / $ncpu" | bc -l)"
echo "rtmp server=brink viewers=$viewers complete=$bok cpu_s=$bcpu wall_s=$bwall viewers_per_cpu_s=$(echo "scale=1; $bok / $bcpu" | bc -l)"
echo "rtmp viewers_per_cpu_s brink/nginx=$(echo "scale=2; ($bok / $bcpu) / ($nok / $ncpu)" | bc -l)"
