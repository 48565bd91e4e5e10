#!/usr/bin/env bash
# Issue 11's criterion in ONE benchmark run: small hits through `brink edge` on a behavior that
# requires signed URLs ("candidate-signed": every request carries a canned-policy signed URL,
# RSA-2048, SHA-1, made by `brink sign`) against the same distribution without the requirement
# ("candidate"), in the same interleaved rounds of the shared harness. Goal: within 15 %.
#
#   bench/signed-same-run.sh [harness options]   # default: --scenarios small-hit
#                                                #   --targets nginx,candidate,candidate-signed
#   bench/signed-same-run.sh --out docs/bench/<date>-signed/same-run
#
# The criterion reads
#   grep -E '^small-hit metric=req_s ' summary.txt | grep -o 'candidate-signed/candidate=[0-9.NA]*'
# Environment as bench/same-run.sh (BRINK_BIN, BENCH_DIR).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench=${BENCH_DIR:-$repo/../shared/bench}
bench="$(cd "$bench" && pwd)"
bin=${BRINK_BIN:-$repo/target/release/brink}
[[ -x $bin ]] || { echo "signed-same-run.sh: no binary at $bin (cargo build --release -p brink)" >&2; exit 2; }
"$bench/run.sh" --help >/dev/null

keys=$repo/target/bench-keys
mkdir -p "$keys"
if [[ ! -f $keys/private.pem ]]; then
  openssl genrsa -out "$keys/private.pem" 2048 2>/dev/null
  openssl rsa -in "$keys/private.pem" -pubout -out "$keys/public.pem" 2>/dev/null
fi
export BENCH_KEYS=$keys
export BENCH_HARNESS="$bench/harness"
export CANDIDATE_CMD="env BRINK_BIN=$bin $repo/bench/edge-signed.sh unsigned {listen} {origin_addr} {workdir}"
export CANDIDATE2_NAME=candidate-signed
export CANDIDATE2_CMD="env BRINK_BIN=$bin $repo/bench/edge-signed.sh signed {listen} {origin_addr} {workdir}"
# The second candidate's URLs are signed: see same_run.py.
export CANDIDATE2_SIGN="KBENCHKEY0001:$keys/private.pem:$bin"
exec python3 "$repo/bench/same_run.py" \
  --scenarios small-hit --targets nginx,candidate,candidate-signed "$@"
