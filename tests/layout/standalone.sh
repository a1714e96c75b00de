#!/bin/sh
# The repository stands alone: no file of it may name a path outside it. The
# vendor corpus and the design once sat in a "shared" folder beside the
# repository, which no clone has, and the machine it was written on keeps it
# under /work; a test, script or doc that reads either works here and fails
# for every user. In a git checkout the tracked files are searched (git
# grep), otherwise every file of the tree but .git and build folders (a
# source archive). Each offending line is printed; exit 1 if there is one.
#
# Usage: standalone.sh ROOT        check the tree at ROOT
#        standalone.sh --self-test the check catches both kinds of path, in a
#                                  git checkout and in a plain tree
set -u

# Built from pieces, so that this file does not name what it looks for.
sibling='\.\./'shared
machine=/'work'/
pattern="$sibling|$machine"

check() {
  root=$1
  top=$(git -C "$root" rev-parse --show-toplevel 2>/dev/null) || top=
  if [ -n "$top" ] && [ "$(cd "$top" && pwd -P)" = "$(cd "$root" && pwd -P)" ]; then
    found=$(git -C "$root" grep -nIE "$pattern")
  else
    found=$(cd "$root" && grep -rnIE --exclude-dir=.git --exclude-dir='build*' "$pattern" .)
  fi
  if [ -n "$found" ]; then
    printf '%s\n' "$found" | sed 's/$/    <- a path outside the repository: use one inside it (tests\/corpus, docs)/'
    return 1
  fi
  return 0
}

self_test() {
  tmp=$(mktemp -d) || exit 2
  trap 'rm -rf "$tmp"' EXIT
  status=0
  for kind in sibling machine; do
    for tree in plain git; do
      dir=$tmp/$kind-$tree
      mkdir -p "$dir/tools" "$dir/build"
      echo 'corpus=tests/corpus' >"$dir/tools/ok.sh"
      if [ "$kind" = sibling ]; then bad="../"shared/corpus; else bad=/'work'/main/tests; fi
      echo "corpus=$bad" >"$dir/build/ignored.sh"
      if [ "$tree" = git ]; then
        git -C "$dir" init -q && git -C "$dir" add tools && git -C "$dir" -c user.name=t -c user.email=t@example.com \
          commit -qm clean || exit 2
      fi
      check "$dir" >/dev/null || { echo "FAIL: a clean $tree tree was flagged ($kind)"; status=1; }
      echo "corpus=$bad" >"$dir/tools/bad.sh"
      [ "$tree" = git ] && git -C "$dir" add tools/bad.sh
      out=$(check "$dir") && { echo "FAIL: $bad in a $tree tree was not flagged"; status=1; }
      case $out in
        *tools/bad.sh:1:*) ;;
        *) echo "FAIL: the report does not name tools/bad.sh:1 ($tree, $kind): $out"; status=1 ;;
      esac
    done
  done
  [ $status -eq 0 ] && echo "ok: both kinds of path are caught in a git checkout and in a plain tree"
  return $status
}

case ${1:-} in
  --self-test) self_test ;;
  '') echo "usage: standalone.sh ROOT | --self-test" >&2; exit 2 ;;
  *) check "$1" && echo "ok: no file names a path outside the repository" ;;
esac
