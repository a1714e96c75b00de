#!/bin/sh
# Module boundaries checked on every run: runtime/ stands alone (it ships to
# production without the compiler), libcurl is seen by the transport alone, and
# cJSON only by the modules that read whole JSON documents (schemas, config,
# CRM answers) — each allowed file is listed, so a new one is a decision.
set -u
root=$1
here=$(dirname "$0")
status=0

for f in "$root"/runtime/*.c "$root"/runtime/*.h; do
  for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
    case $inc in */*) found=no ;; *) [ -e "$root/runtime/$inc" ] && found=yes || found=no ;; esac
    if [ $found = no ]; then
      echo "${f#"$root"/}: includes \"$inc\", which is not a runtime/ file"
      status=1
    fi
  done
done

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
