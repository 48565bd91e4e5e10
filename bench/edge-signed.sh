#!/usr/bin/env bash
# Runs `brink edge` for the shared benchmark with one distribution in front of the benchmark's
# origin whose behavior for every path either trusts a key group (signed URLs required) or
# not: the pair of candidates bench/signed-same-run.sh measures in the same rounds.
#   edge-signed.sh signed|unsigned {listen} {origin_addr} {workdir}
# The key pair is bench/keys/ (generated on first use); BRINK_BIN overrides the binary.
set -euo pipefail
mode=$1 listen=$2 origin=$3 work=$4
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
host=${origin%:*} port=${origin##*:}
keys=${BENCH_KEYS:-$here/target/bench-keys}
mkdir -p "$keys"
if [[ ! -f $keys/private.pem ]]; then
  openssl genrsa -out "$keys/private.pem" 2048 2>/dev/null
  openssl rsa -in "$keys/private.pem" -pubout -out "$keys/public.pem" 2>/dev/null
fi
pem=$(awk '{printf "%s\\n", $0}' "$keys/public.pem")
trusted=""
if [[ $mode == signed ]]; then
  trusted='"TrustedKeyGroups": {"Enabled": true, "Quantity": 1, "Items": ["bench-group"]},'
fi
cat >"$work/edge.json" <<JSON
{"PublicKeys": [{"Id": "KBENCHKEY0001", "PublicKeyConfig": {"CallerReference": "k", "Name": "bench", "EncodedKey": "$pem"}}],
 "KeyGroups": [{"Id": "bench-group", "KeyGroupConfig": {"Name": "bench", "Items": ["KBENCHKEY0001"]}}],
 "Distributions": [{"Id": "EBENCHSIGNED", "DomainName": "$host", "DistributionConfig": {
  "CallerReference": "bench", "Comment": "", "Enabled": true,
  "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "$host",
    "CustomOriginConfig": {"HTTPPort": $port, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"}}]},
  "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all", $trusted
    "ForwardedValues": {"QueryString": false, "Cookies": {"Forward": "none"}}, "MinTTL": 0}}}]}
JSON
exec "${BRINK_BIN:-$here/target/release/brink}" edge --config "$work/edge.json" --listen "$listen"
