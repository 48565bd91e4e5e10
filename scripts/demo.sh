#!/usr/bin/env bash
# Builds Brink and runs the whole CDN on this machine with `brink up` (control plane + 3 edge
# POPs on 127.0.0.2-4), then walks through what a CloudFront user does, with the real aws CLI:
# create a distribution in front of a demo origin, wait until it is Deployed, fetch through
# every edge (Miss, then Hit), invalidate, and see the Miss again. `brink up` keeps running
# afterwards (Ctrl-C stops everything); `source target/demo/env` points aws/boto3 at it.
#
#   scripts/demo.sh                 data in target/demo, API on 127.0.0.1:4566, edges on :8080
#   DATA_DIR=… EDGE_PORT=… CONTROL=… ORIGIN_PORT=… scripts/demo.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
extra_packages=()
# shellcheck source=scripts/ensure-tools.sh
source scripts/ensure-tools.sh
# shellcheck source=scripts/ensure-pyenv.sh
source scripts/ensure-pyenv.sh
cargo build --release -p brink

DATA_DIR=${DATA_DIR:-$PWD/target/demo}
CONTROL=${CONTROL:-127.0.0.1:4566}
EDGE_PORT=${EDGE_PORT:-8080}
ORIGIN_PORT=${ORIGIN_PORT:-8081}

python3 -m http.server "$ORIGIN_PORT" --bind 127.0.0.1 --directory examples/demo-origin >/dev/null 2>&1 &
origin_pid=$!
rm -f "$DATA_DIR/env"
target/release/brink up --data-dir "$DATA_DIR" --control-listen "$CONTROL" --edge-port "$EDGE_PORT" &
up_pid=$!
trap 'kill $up_pid $origin_pid 2>/dev/null; wait $up_pid 2>/dev/null' EXIT INT TERM
for _ in $(seq 100); do [[ -f $DATA_DIR/env ]] && break; sleep 0.1; done
[[ -f $DATA_DIR/env ]] || { echo "demo: brink up did not start" >&2; exit 1; }
# shellcheck source=/dev/null
source "$DATA_DIR/env"
aws() { "$BRINK_TEST_PYENV/bin/aws" "$@"; }
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

config=$(mktemp)
cat >"$config" <<EOF
{"CallerReference": "demo-$(date +%s)", "Comment": "brink demo", "Enabled": true,
 "Origins": {"Quantity": 1, "Items": [{"Id": "demo-origin", "DomainName": "127.0.0.1",
   "CustomOriginConfig": {"HTTPPort": $ORIGIN_PORT, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"}}]},
 "DefaultCacheBehavior": {"TargetOriginId": "demo-origin", "ViewerProtocolPolicy": "allow-all",
   "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"}}
EOF
step aws cloudfront create-distribution --distribution-config "file://$config"
created=$(aws cloudfront create-distribution --distribution-config "file://$config" --output json)
rm -f "$config"
id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["Distribution"]["Id"])' <<<"$created")
host=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["Distribution"]["DomainName"])' <<<"$created")
echo "Id $id  DomainName $host"
step aws cloudfront wait distribution-deployed --id "$id"
aws cloudfront wait distribution-deployed --id "$id"
for edge in $BRINK_EDGES; do
  addr=${edge#*=}
  for _ in 1 2; do
    step curl -si -H "Host: $host" "http://$addr/hello.txt"
    curl -si -H "Host: $host" "http://$addr/hello.txt" | grep -iE '^(HTTP|x-cache|x-amz-cf-pop|age):' || true
  done
done
step aws cloudfront create-invalidation --distribution-id "$id" --paths '/*'
inv=$(aws cloudfront create-invalidation --distribution-id "$id" --paths '/*' --query Invalidation.Id --output text)
aws cloudfront wait invalidation-completed --distribution-id "$id" --id "$inv"
first=${BRINK_EDGES%% *}
step curl -si -H "Host: $host" "http://${first#*=}/hello.txt"
curl -si -H "Host: $host" "http://${first#*=}/hello.txt" | grep -iE '^(HTTP|x-cache|x-amz-cf-pop):' || true
printf '\nbrink up is running (Ctrl-C stops it). In another shell:\n  source %s/env\n  aws cloudfront list-distributions\n' "$DATA_DIR"
wait $up_pid
