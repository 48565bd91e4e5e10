#!/usr/bin/env bash
# Host CPU per GB of a large hit, for the edge alone and for the whole machine (edge + wrk +
# kernel), one 8-second wrk run: how docs/bench/2026-12-04-sendfile's "machine s/GB" column
# was measured. Loopback only.
#
#   python3 -m http.server 18201 --bind 127.0.0.1 --directory DIR_WITH_1g.bin &   # the origin
#   bash pair-cpu.sh BRINK_BIN on|remote|off [disk]
#
# `disk`: the object lives in the disk tier ($SFX_DIR, default /dev/shm/brink-sfx; tmpfs).
set -euo pipefail
bin=$1 mode=$2 tier=${3:-memory}
dir=${SFX_DIR:-/dev/shm/brink-sfx}
args=(serve --listen 127.0.0.1:18202 --origin http://127.0.0.1:18201 --sendfile "$mode")
if [ "$tier" = disk ]; then
  rm -rf "$dir"; mkdir -p "$dir"
  args+=(--cache-dir "$dir" --disk-cache 4GiB --memory-max-object 64MiB)
fi
"$bin" "${args[@]}" >/dev/null 2>&1 &
pid=$!
trap 'kill $pid; [ "$tier" = disk ] && rm -rf "$dir"' EXIT
sleep 0.5
# Fill, then (disk) let the file complete and its blocks be read once.
for _ in 1 2 3 4; do curl -s -o /dev/null http://127.0.0.1:18202/1g.bin; sleep 1; done
t0=$(awk '{print $14+$15}' /proc/$pid/stat)
b0=$(awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat)
out=$(wrk -t2 -c4 -d8s http://127.0.0.1:18202/1g.bin)
t1=$(awk '{print $14+$15}' /proc/$pid/stat)
b1=$(awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat)
gib=$(echo "$out" | grep -o '[0-9.]*GB read' | grep -o '[0-9.]*')
rate=$(echo "$out" | awk '/Transfer/{print $2}')
python3 - "$mode" "$tier" "$rate" "$gib" "$t0" "$t1" "$b0" "$b1" <<'PY'
import sys
mode, tier, rate, gib, t0, t1, b0, b1 = sys.argv[1:]
gb = float(gib) * 1.073741824
print(f"{tier} sendfile={mode} wrk={rate}/s edge_s/GB={(int(t1)-int(t0))/100/gb:.3f} "
      f"machine_s/GB={(int(b1)-int(b0))/100/gb:.3f}")
PY
