#!/usr/bin/env bash
# Concurrent RTMP viewers of one cached file: `brink edge --rtmp-listen` against nginx-rtmp
# (Debian's libnginx-mod-rtmp, `play` from a local directory), the same FLV, the same number of
# viewers, one server at a time, each on one core's worth of process (nginx: 1 worker; brink:
# the RTMP front end runs on one worker thread). Each viewer is `ffmpeg -c copy -f null`
# (no decoding); both servers pace streams at about real time, so the figure that compares
# them is the server's CPU per viewer: viewers per fully used core = viewers / CPU fraction.
#
#   bench/rtmp/run.sh [VIEWERS] [SECONDS]     # default 40 viewers, 20 s
#
# Loopback only. Needs ffmpeg and nginx with the RTMP module (installed when missing) and
# target/release/brink (cargo build --release -p brink). Prints one summary line per server
# and `rtmp viewers_per_core brink/nginx=<ratio>`.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
viewers=${1:-40}
secs=${2:-20}
bin=${BRINK_BIN:-$repo/target/release/brink}
[[ -x $bin ]] || { echo "no $bin (cargo build --release -p brink)" >&2; exit 2; }
if ! command -v ffmpeg >/dev/null || [[ ! -e /usr/lib/nginx/modules/ngx_rtmp_module.so ]]; then
  apt-get install -y -q ffmpeg nginx-light libnginx-mod-rtmp >/dev/null
fi
work=$(mktemp -d /tmp/brink-rtmp-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
mkdir -p "$work/media"
# 60 s, 1.5 Mbit/s H.264 + AAC: longer than the run, so every viewer streams all along.
ffmpeg -nostdin -loglevel error -y -f lavfi -i testsrc=size=1280x720:rate=25 \
  -f lavfi -i sine=frequency=440:sample_rate=44100 -t 60 -c:v libx264 -preset ultrafast \
  -b:v 1500k -g 50 -c:a aac -f flv "$work/media/clip.flv"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# CPU seconds (user+system) of a process and its threads.
cpu_of() { awk '{print ($14+$15)/100}' "/proc/$1/stat"; }

# Runs $viewers clients against URL with extra ffmpeg args; echoes "cpu_seconds connected".
load() {
  local pid=$1 url=$2; shift 2
  local before after ok=0
  local pids=()
  for ((i = 0; i < viewers; i++)); do
    timeout "$secs" ffmpeg -nostdin -loglevel error "$@" -i "$url" -c copy -f null - \
      >"$work/v$i.log" 2>&1 &
    pids+=($!)
  done
  sleep 3
  before=$(cpu_of "$pid")
  sleep $((secs - 5))
  after=$(cpu_of "$pid")
  for p in "${pids[@]}"; do
    # timeout's 124 = still streaming when the run ended: a viewer that stayed connected.
    if wait "$p"; then :; else [[ $? == 124 ]] && ok=$((ok + 1)); fi
  done
  echo "$(echo "$after - $before" | bc -l) $ok $((secs - 8))"
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
nworker=$(pgrep -f "nginx: worker process" -n)
read -r ncpu nok nwin < <(load "$nworker" "rtmp://127.0.0.1:$nport/vod/clip.flv")
kill %1 2>/dev/null || true
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
# Warm the cache with one play, then measure.
timeout 5 ffmpeg -nostdin -loglevel error -rtmp_app cfx/st -rtmp_playpath clip.flv \
  -rtmp_tcurl rtmp://s1bench0000000.cdn.test/cfx/st -i "rtmp://127.0.0.1:$bport/cfx/st/clip.flv" \
  -c copy -f null - || true
read -r bcpu bok bwin < <(load "$bpid" "rtmp://127.0.0.1:$bport/cfx/st/clip.flv" \
  -rtmp_app cfx/st -rtmp_playpath clip.flv -rtmp_tcurl rtmp://s1bench0000000.cdn.test/cfx/st)

per_core() { echo "scale=1; $2 / ($1 / $3)" | bc -l; }
nvpc=$(per_core "$ncpu" "$nok" "$nwin")
bvpc=$(per_core "$bcpu" "$bok" "$bwin")
echo "rtmp server=nginx-rtmp viewers=$viewers connected=$nok cpu_s=$ncpu window_s=$nwin viewers_per_core=$nvpc"
echo "rtmp server=brink viewers=$viewers connected=$bok cpu_s=$bcpu window_s=$bwin viewers_per_core=$bvpc"
echo "rtmp viewers_per_core brink/nginx=$(echo "scale=2; $bvpc / $nvpc" | bc -l)"
