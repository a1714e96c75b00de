#!/usr/bin/env bash
# Installs the Debian packages crmmap needs to build and test, when missing.
# Used by tools/demo.sh, tools/test.sh and CI; safe to run again.
set -euo pipefail

packages=(
  build-essential cmake pkg-config flex bison
  libcjson-dev libcurl4-openssl-dev libssl-dev zlib1g-dev libsqlite3-dev
  libmicrohttpd-dev             # the HTTP(S) server of `crmmap serve`
  libgnutls28-dev               # its TLS library: serve hands it the certificate (reload)
  iso-codes                     # ISO 3166-1 names for country_code()/country_name(), compiled in
  clang libclang-rt-14-dev      # libFuzzer targets and their replay under sanitizers
  python3 jq                    # test scripts read JSON output
  python3-yaml                  # the docs/ci.md workflow test reads YAML
  openssl                       # tests/serve makes a TLS certificate
  valgrind strace               # tests/hardening: memcheck.sh, no_network.sh
  groff-base man-db             # the man page test renders docs/crmmap.1 with warnings on
  chromium                      # tests/doc renders the `crmmap doc` page headless
  neovim                        # tests/lsp drives `crmmap lsp` through its built-in LSP client
  systemd                       # systemd-analyze verifies packaging/crmmap-serve.service
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js may come from elsewhere than Debian (with npm inside): only the
# commands matter. npm installs the schema and OpenAPI validators the tests use.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
