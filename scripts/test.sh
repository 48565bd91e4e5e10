#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it (.ci/run calls this script).
# Installs what the tests need on a Debian machine, then: formatting, lints, every test.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# goaccess: access-log format test; prometheus (promtool): metrics format test;
# openssl: viewer TLS tests. ensure-tools.sh adds a C linker, curl and Rust.
extra_packages=()
command -v goaccess >/dev/null 2>&1 || extra_packages+=(goaccess)
command -v promtool >/dev/null 2>&1 || extra_packages+=(prometheus)
command -v openssl >/dev/null 2>&1 || extra_packages+=(openssl)
# dig: the DNS router tests query it as a resolver would.
command -v dig >/dev/null 2>&1 || extra_packages+=(bind9-dnsutils)
# ffmpeg: the RTMP and HLS tests play streams with it and make their media files.
command -v ffmpeg >/dev/null 2>&1 || extra_packages+=(ffmpeg)
# shellcheck source=scripts/ensure-tools.sh
source scripts/ensure-tools.sh
# shellcheck source=scripts/ensure-pyenv.sh
source scripts/ensure-pyenv.sh
if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
  if command -v rustup >/dev/null 2>&1; then
    rustup component add rustfmt clippy
  else
    echo "test.sh: this Rust toolchain lacks rustfmt or clippy (install Rust with rustup)" >&2
    exit 2
  fi
fi

echo "== unused dependencies"
scripts/check-deps.sh
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== cargo test"
cargo test --workspace
