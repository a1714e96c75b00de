#!/usr/bin/env bash
# Installs the Debian packages crmmap needs to build and test, when missing.
# Used by tools/demo.sh, tools/test.sh and CI; safe to run again.
set -euo pipefail

packages=(
  build-essential cmake pkg-config flex bison
  libcjson-dev libcurl4-openssl-dev libssl-dev zlib1g-dev libsqlite3-dev
  clang libclang-rt-14-dev      # libFuzzer targets and their replay under sanitizers
  python3 jq                    # test scripts read JSON output
  valgrind strace               # tests/hardening: memcheck.sh, no_network.sh
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
