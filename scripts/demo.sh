#!/usr/bin/env bash
# Builds Brink and runs one caching edge (`brink serve`) in front of a small demo origin.
#   scripts/demo.sh            edge on http://127.0.0.1:8080, admin on 127.0.0.1:9080
# Try:  curl -i http://127.0.0.1:8080/hello.txt   (twice: Miss, then Hit)
#       curl -X POST 'http://127.0.0.1:9080/purge?path=/*'
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if ! command -v cargo >/dev/null 2>&1; then
  echo "demo.sh: cargo not found: install Rust 1.85 or newer (https://rustup.rs)" >&2
  exit 2
fi
if ! command -v python3 >/dev/null 2>&1; then
  if [[ $(id -u) -eq 0 ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3 >/dev/null
  else
    echo "demo.sh: python3 (the demo origin) not found: sudo apt-get install -y python3" >&2
    exit 2
  fi
fi
cargo build --release -p brink
LISTEN=${LISTEN:-127.0.0.1:8080}
ADMIN=${ADMIN:-127.0.0.1:9080}
ORIGIN_PORT=${ORIGIN_PORT:-8081}
python3 -m http.server "$ORIGIN_PORT" --bind 127.0.0.1 --directory examples/demo-origin >/dev/null 2>&1 &
origin_pid=$!
trap 'kill $origin_pid 2>/dev/null' EXIT
echo "demo origin: http://127.0.0.1:$ORIGIN_PORT (examples/demo-origin)"
echo "edge:        http://$LISTEN    admin: http://$ADMIN"
target/release/brink serve --listen "$LISTEN" --admin "$ADMIN" --origin "http://127.0.0.1:$ORIGIN_PORT"
