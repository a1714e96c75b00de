#!/bin/sh
# Module boundaries checked on every run: the folder order of folders.py
# (runtime/ never includes compiler/ or cli/, the VM never the CRM layer),
# libcurl is seen by the transport alone, and
# cJSON only by the modules that read whole JSON documents (schemas, config,
# CRM answers) — each allowed file is listed, so a new one is a decision.
# Usage: check_boundaries.sh [REPO] (default: the repository holding this script).
set -u
here=$(dirname "$0")
root=${1:-$(cd "$here/../.." && pwd)}
status=0

# The folder order (runtime/ below compiler/ below cli/, no arrow up).
python3 "$here/folders.py" "$root" >/dev/null || { python3 "$here/folders.py" "$root" | grep -v -- ' -> '; status=1; }

for rule in 'curl/curl\.h curl_allowed.txt' 'cjson/cJSON\.h cjson_allowed.txt'; do
  set -- $rule
  shown=$(printf '%s' "$1" | tr -d '\\')
  for f in $(grep -rlE "#[[:space:]]*include[[:space:]]*<$1>" "$root/runtime" "$root/compiler" "$root/cli" "$root/grammar"); do
    rel=${f#"$root"/}
    if ! grep -qxF "$rel" "$here/$2"; then
      echo "$rel: includes <$shown> but is not listed in tests/layout/$2"
      status=1
    fi
  done
done
exit $status
