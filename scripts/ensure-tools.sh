# Sourced by scripts/demo.sh and scripts/test.sh: makes sure a Debian machine has what building
# Brink needs — a C linker and a Rust toolchain with rustfmt and clippy — installing them when
# missing (apt for packages, rustup's minimal profile for Rust). Extra apt packages a caller
# needs go in the array `extra_packages` before sourcing.

# Installs Debian packages (as root, or with sudo when it is there).
apt_install() {
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
      sudo=(sudo)
    else
      echo "${0##*/}: missing packages: $* (run as root: apt-get install -y $*)" >&2
      exit 2
    fi
  fi
  echo "${0##*/}: installing $*" >&2
  # Keep packages' own services (e.g. prometheus) from starting on install.
  local policy=/usr/sbin/policy-rc.d created=""
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null \
      && "${sudo[@]}" chmod +x "$policy" && created=1
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null \
    || { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null \
      && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null; }
  if [[ -n $created ]]; then "${sudo[@]}" rm -f "$policy"; fi
}

need=()
command -v cc >/dev/null 2>&1 || need+=(gcc)
command -v curl >/dev/null 2>&1 || need+=(curl)
for p in "${extra_packages[@]+"${extra_packages[@]}"}"; do need+=("$p"); done
if ((${#need[@]})); then apt_install "${need[@]}"; fi

# Rust: a cargo on PATH, else rustup's (installed when absent).
if ! command -v cargo >/dev/null 2>&1; then
  if [[ ! -x $HOME/.cargo/bin/cargo ]]; then
    echo "${0##*/}: installing Rust (rustup, minimal profile + rustfmt + clippy)" >&2
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs \
      | sh -s -- -y -q --profile minimal --component rustfmt,clippy >/dev/null
  fi
  export PATH="$HOME/.cargo/bin:$PATH"
fi
