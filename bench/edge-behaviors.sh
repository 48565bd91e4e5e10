#!/usr/bin/env bash
# Runs `brink edge` for the shared benchmark with a distribution of N cache behaviors, the
# benchmark's objects matching the last one (path matching must not cost throughput).
#   CANDIDATE_CMD="$PWD/bench/edge-behaviors.sh 50 {listen} {origin_addr} {workdir}" ../shared/bench/run.sh …
# BRINK_BIN overrides the binary (default: target/release/brink of this repo).
set -euo pipefail
n=$1 listen=$2 origin=$3 work=$4
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
host=${origin%:*} port=${origin##*:}
behaviors=""
for ((i = 0; i < n - 1; i++)); do
  behaviors+="{\"PathPattern\": \"/section$i/*.jpg\", \"TargetOriginId\": \"o\", \"ViewerProtocolPolicy\": \"allow-all\", \"CachePolicyId\": \"658327ea-f89d-4fab-a63d-7e88639e58f6\"},"
done
# The last behavior matches every benchmark path (/1k.bin, /1g.bin, /miss/…, /slow/…) and,
# like `brink serve`, keys and forwards the whole query string with the origin's TTLs.
behaviors+="{\"PathPattern\": \"/*\", \"TargetOriginId\": \"o\", \"ViewerProtocolPolicy\": \"allow-all\", \"ForwardedValues\": {\"QueryString\": true, \"Cookies\": {\"Forward\": \"none\"}}, \"MinTTL\": 0}"
cat >"$work/edge.json" <<JSON
{"Distributions": [{"Id": "EBENCHEXAMPLE", "DomainName": "$host", "DistributionConfig": {
  "CallerReference": "bench", "Comment": "", "Enabled": true,
  "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "$host",
    "CustomOriginConfig": {"HTTPPort": $port, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"}}]},
  "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all",
    "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"},
  "CacheBehaviors": {"Quantity": $n, "Items": [$behaviors]}}}]}
JSON
exec "${BRINK_BIN:-$here/target/release/brink}" edge --config "$work/edge.json" --listen "$listen"
