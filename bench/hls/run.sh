#!/usr/bin/env bash
# HLS segment throughput: `brink edge` serving HLS cut from a stored MP4 (a behavior with
# `BrinkHls`) against nginx serving the same media pre-segmented by ffmpeg's HLS muxer as
# static files (the usual way to publish VOD HLS), on the same machine, one at a time.
#
# Two figures:
#  - cut: every segment of the playlist asked for once, one after the other (curl), from an edge
#    that has the MP4 but no segment yet: segments made per second, and brink's CPU seconds for
#    them (each is cut from cached byte ranges of the MP4; the first pass fills those ranges
#    from the origin, the second pass — after an invalidation of the segments only — cuts from
#    the cached MP4);
#  - hits: wrk over all segment URLs (8 connections, DURATION s): requests/s, MB/s and server
#    CPU seconds per GB, brink (segments cached) against nginx (files in the page cache).
#
#   bench/hls/run.sh [MEDIA_SECONDS] [DURATION]     # default a 300 s file, 10 s wrk runs
#
# Loopback only. Needs ffmpeg, nginx, wrk, curl (installed when missing) and
# target/release/brink (cargo build --release -p brink).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
media_secs=${1:-300}
duration=${2:-10}
bin=${BRINK_BIN:-$repo/target/release/brink}
[[ -x $bin ]] || { echo "no $bin (cargo build --release -p brink)" >&2; exit 2; }
for t in ffmpeg nginx wrk curl bc; do
  command -v "$t" >/dev/null || apt-get install -y -q ffmpeg nginx-light wrk curl bc >/dev/null
done
work=$(mktemp -d /tmp/brink-hls-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; kill "$(cat "$work/nginx/nginx.pid" 2>/dev/null)" 2>/dev/null; rm -rf "$work"' EXIT
mkdir -p "$work/media/videos" "$work/static/videos/clip.mp4" "$work/nginx/logs"
chmod -R 755 "$work"
# MEDIA_SECONDS of 2 Mbit/s 720p H.264 (a key frame every 2 s) + AAC.
ffmpeg -nostdin -loglevel error -y -f lavfi -i testsrc=size=1280x720:rate=25 \
  -f lavfi -i sine=frequency=440:sample_rate=44100 -t "$media_secs" -c:v libx264 \
  -preset ultrafast -b:v 2000k -g 50 -keyint_min 50 -sc_threshold 0 -pix_fmt yuv420p \
  -c:a aac "$work/media/videos/clip.mp4"
# The same media pre-cut for nginx (6 s target, cuts on the same key frames).
ffmpeg -nostdin -loglevel error -y -i "$work/media/videos/clip.mp4" -c copy -f hls \
  -hls_time 6 -hls_playlist_type vod -hls_segment_filename "$work/static/videos/clip.mp4/seg-%d.ts" \
  "$work/static/videos/clip.mp4/index.m3u8"
chmod -R a+rX "$work"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_of() { awk '{print ($14+$15)/100}' "/proc/$1/stat"; }

oport=$(free_port)
sport=$(free_port)
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
error_log $work/nginx/logs/error.log warn;
pid $work/nginx/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  types { video/mp2t ts; application/vnd.apple.mpegurl m3u8; video/mp4 mp4; }
  server { listen 127.0.0.1:$oport; root $work/media; }
  server { listen 127.0.0.1:$sport; root $work/static; }
}
CONF
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" &
sleep 1
nworker=$(pgrep -P "$(cat "$work/nginx/nginx.pid")")

host=d1hlsbench0000.cloudfront.net
cat >"$work/edge.json" <<JSON
{"Distributions": [{"Id": "EHLSBENCH", "DomainName": "$host", "DistributionConfig": {
  "CallerReference": "hls", "Comment": "", "Enabled": true,
  "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "127.0.0.1",
    "CustomOriginConfig": {"HTTPPort": $oport, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"}}]},
  "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all",
    "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
    "BrinkHls": {"Enabled": true, "SegmentSeconds": 6}}}}]}
JSON
bport=$(free_port)
aport=$(free_port)
RUST_LOG=warn "$bin" edge --config "$work/edge.json" --listen "127.0.0.1:$bport" \
  --admin "127.0.0.1:$aport" --threads 1 >"$work/brink.out" 2>&1 &
bpid=$!
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$aport/healthz" && break; sleep 0.1; done

base="http://127.0.0.1:$bport/videos/clip.mp4"
playlist=$(curl -sf -H "Host: $host" "$base/index.m3u8")
segs=$(grep -c '\.ts$' <<<"$playlist")
static_segs=$(grep -c '\.ts$' "$work/static/videos/clip.mp4/index.m3u8")

# Cut: every segment once, in order.
cut_pass() {
  local before after t0 t1 bytes
  before=$(cpu_of "$bpid"); t0=$(date +%s.%N)
  bytes=0
  misses=0
  for ((i = 0; i < segs; i++)); do
    out=$(curl -sf -H "Host: $host" -o /dev/null -w '%{size_download} %header{x-cache}' "$base/seg-$i.ts")
    bytes=$((bytes + ${out%% *}))
    [[ $out == *Miss* ]] && misses=$((misses + 1))
  done
  t1=$(date +%s.%N); after=$(cpu_of "$bpid")
  echo "$(echo "$t1 - $t0" | bc -l) $(echo "$after - $before" | bc -l) $bytes $misses"
}
read -r w1 c1 b1 m1 < <(cut_pass)
# Drop the segments (not the MP4's ranges): the second pass cuts from the cached MP4.
purged=$(curl -sf -X POST "http://127.0.0.1:$aport/purge?distribution=EHLSBENCH&path=/videos/clip.mp4/*")
echo "purge of the segments: $purged"
read -r w2 c2 b2 m2 < <(cut_pass)
echo "hls cut pass=cold-mp4 segments=$segs misses=$m1 bytes=$b1 wall_s=$w1 brink_cpu_s=$c1 segments_per_s=$(echo "scale=1; $segs / $w1" | bc -l)"
echo "hls cut pass=cached-mp4 segments=$segs misses=$m2 bytes=$b2 wall_s=$w2 brink_cpu_s=$c2 segments_per_s=$(echo "scale=1; $segs / $w2" | bc -l) cpu_ms_per_segment=$(echo "scale=2; 1000 * $c2 / $segs" | bc -l)"

# Hits: wrk over every segment URL.
cat >"$work/segs.lua" <<LUA
local n = 0
local count = $segs
request = function()
  local path = string.format("/videos/clip.mp4/seg-%d.ts", n % count)
  n = n + 1
  return wrk.format("GET", path, {["Host"] = "$host"})
end
LUA
sed "s/count = $segs/count = $static_segs/" "$work/segs.lua" >"$work/static.lua"
hits() {
  local pid=$1 port=$2 script=$3 before after out
  wrk -t1 -c8 -d2s -s "$script" "http://127.0.0.1:$port/" >/dev/null 2>&1 || true
  before=$(cpu_of "$pid")
  out=$(wrk -t1 -c8 -d"${duration}s" -s "$script" "http://127.0.0.1:$port/")
  after=$(cpu_of "$pid")
  local rps mbs
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  mbs=$(awk '/^Transfer\/sec/ {v=$2; if (v ~ /GB$/) {sub("GB","",v); v*=1024} else if (v ~ /MB$/) {sub("MB","",v)} else if (v ~ /KB$/) {sub("KB","",v); v/=1024}; print v}' <<<"$out")
  local cpu gb
  cpu=$(echo "$after - $before" | bc -l)
  gb=$(echo "$mbs * $duration / 1024" | bc -l)
  echo "$rps $mbs $cpu $(echo "scale=3; $cpu / $gb" | bc -l)"
}
read -r nrps nmbs ncpu ncpg < <(hits "$nworker" "$sport" "$work/static.lua")
read -r brps bmbs bcpu bcpg < <(hits "$bpid" "$bport" "$work/segs.lua")
echo "hls hits server=nginx-static segments=$static_segs req_s=$nrps MB_s=$nmbs cpu_s=$ncpu cpu_s_per_GB=$ncpg"
echo "hls hits server=brink segments=$segs req_s=$brps MB_s=$bmbs cpu_s=$bcpu cpu_s_per_GB=$bcpg"
echo "hls hits MB_s brink/nginx=$(echo "scale=2; $bmbs / $nmbs" | bc -l) cpu_per_GB brink/nginx=$(echo "scale=2; $bcpg / $ncpg" | bc -l)"
