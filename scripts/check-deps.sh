#!/usr/bin/env bash
# Keeps unused dependencies out: every dependency a workspace crate declares must be named
# in that crate's code ([dependencies] and [build-dependencies] in src/ and build.rs;
# [dev-dependencies] also in tests/, benches/ and examples/). The name searched is the key in
# Cargo.toml (a renamed package is used under its key) with `-` turned into `_`.
# A dependency needed without being named (a feature switch, a linked-in allocator...) carries
# the comment `# unnamed-use: <why>` on its line in Cargo.toml.
# Needs only bash, awk and grep. Exit status 1 and one line per unused dependency.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

status=0
for manifest in crates/*/Cargo.toml bins/*/Cargo.toml; do
  dir=$(dirname "$manifest")
  # "section name" pairs; section is normal, build or dev.
  while read -r section name; do
    case "$section" in
      dev) places=("$dir/src" "$dir/tests" "$dir/benches" "$dir/examples" "$dir/build.rs") ;;
      *) places=("$dir/src" "$dir/build.rs") ;;
    esac
    existing=()
    for p in "${places[@]}"; do [ -e "$p" ] && existing+=("$p"); done
    ident=${name//-/_}
    if [ ${#existing[@]} -eq 0 ] ||
      ! grep -rqwE --include='*.rs' "$ident" "${existing[@]}"; then
      echo "unused dependency: $manifest [$section] $name (no \`$ident\` in ${places[*]})"
      status=1
    fi
  done < <(awk '
    /^\[/ {
      sec = ""
      if ($0 ~ /^\[(target\..*\.)?dependencies\]/) sec = "normal"
      else if ($0 ~ /^\[(target\..*\.)?build-dependencies\]/) sec = "build"
      else if ($0 ~ /^\[(target\..*\.)?dev-dependencies\]/) sec = "dev"
      else if (match($0, /^\[(dev-|build-)?dependencies\.[A-Za-z0-9_-]+\]/)) {
        s = substr($0, 2, RLENGTH - 2); split(s, parts, ".")
        kind = parts[1] == "dev-dependencies" ? "dev" : (parts[1] == "build-dependencies" ? "build" : "normal")
        print kind, parts[2]
      }
      next
    }
    sec != "" && /^[A-Za-z0-9_-]+[ \t]*[.=]/ && $0 !~ /# unnamed-use:/ {
      n = $0; sub(/[ \t]*[.=].*/, "", n); print sec, n
    }' "$manifest")
done
exit $status
