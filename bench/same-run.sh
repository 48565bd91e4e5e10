#!/usr/bin/env bash
# Issue 5's criterion in ONE benchmark run: `brink serve` (one origin, "candidate") and
# `brink edge` with a distribution of N cache behaviors whose last one matches the benchmark's
# objects ("candidate-50b"), measured in the same interleaved rounds of the shared harness, so
# "within 5 % of the single-origin figure" compares figures taken minutes apart, not runs.
#
#   bench/same-run.sh [harness options]      # default: --scenarios small-hit,h2-hit
#                                            #          --targets nginx,candidate,candidate-50b
#   bench/same-run.sh --out docs/bench/2026-11-25-issue5-behaviors/same-run
#   bench/same-run.sh --scenarios small-hit --rounds 1 --duration 2     # smoke test
#
# Options after the script name go to the harness (shared/bench/README.md) and override the
# defaults above. Environment:
#   BRINK_BIN    the binary (default: <repo>/target/release/brink; build it with
#                `cargo build --release -p brink`)
#   BEHAVIORS    cache behaviors of the second candidate (default 50)
#   BENCH_DIR    the shared benchmark (default: <repo>/../shared/bench)
#
# Report: every machine-readable line ends with `candidate-50b/candidate=<ratio>`; each
# scenario section lists that ratio per round. The criterion reads
#   grep -E '^(small-hit|h2-hit) metric=req_s ' summary.txt | grep -o 'candidate-50b/candidate=[0-9.NA]*'
# (≥ 0.95 passes). bench/same_run.py does the registration (the harness is not modified).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench=${BENCH_DIR:-$repo/../shared/bench}
bench="$(cd "$bench" && pwd)"
bin=${BRINK_BIN:-$repo/target/release/brink}
n=${BEHAVIORS:-50}
[[ -x $bin ]] || { echo "same-run.sh: no binary at $bin (cargo build --release -p brink, or set BRINK_BIN)" >&2; exit 2; }

# run.sh installs the tools the harness needs when they are missing; --help then stops it.
"$bench/run.sh" --help >/dev/null

export BENCH_HARNESS="$bench/harness"
export CANDIDATE_CMD="$bin serve --listen {listen} --origin {origin}"
export CANDIDATE2_NAME=candidate-50b
export CANDIDATE2_CMD="env BRINK_BIN=$bin $repo/bench/edge-behaviors.sh $n {listen} {origin_addr} {workdir}"
exec python3 "$repo/bench/same_run.py" \
  --scenarios small-hit,h2-hit --targets nginx,candidate,candidate-50b "$@"
