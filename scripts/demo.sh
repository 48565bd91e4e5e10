#!/usr/bin/env bash
# Builds Brink and runs one caching edge (`brink serve`) in front of a small demo origin.
#   scripts/demo.sh            edge on http://127.0.0.1:8080, admin on 127.0.0.1:9080
# Try:  curl -i http://127.0.0.1:8080/hello.txt   (twice: Miss, then Hit)
#       curl -X POST 'http://127.0.0.1:9080/purge?path=/*'
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
extra_packages=()
command -v python3 >/dev/null 2>&1 || extra_packages+=(python3)   # the demo origin
# shellcheck source=scripts/ensure-tools.sh
source scripts/ensure-tools.sh
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
