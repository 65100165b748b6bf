#!/bin/sh
# scripts/package packages the last commit (HEAD) only, the static worker binary too
# (OPERATOR.md §13; its SHA256SUMS line is what a newsroom prints next to its key, and anyone
# must be able to rebuild it from the commit). In a clone of this repository with a commit
# whose scripts/static-worker writes "HEAD" as the binary, and an uncommitted edit that writes
# "WORKTREE", this tree's scripts/package must ship "HEAD" (dpkg-buildpackage and the web
# dependencies are stand-ins: seconds, not minutes). Usage: tests/package/package-head.sh
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/ghostdrop-package-head-XXXXXX")
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM
git clone -q --shared "$root" "$T/c"
cd "$T/c"
cp "$root/scripts/package" scripts/package # the version under test, committed or not
v=$(dpkg-parsechangelog -SVersion)
# shellcheck disable=SC2016
stub() { printf '#!/bin/sh\necho %s >"$1/ghostdrop-%s-linux-x86_64"\n' "$1" "$v" >scripts/static-worker; }
stub HEAD
printf '#!/bin/sh\nexit 0\n' >scripts/web-deps
: >web/vendor.sha256
git -c user.name=t -c user.email=t@t.invalid commit -qam "test: stubs"
stub WORKTREE
mkdir "$T/bin"
# shellcheck disable=SC2016
printf '#!/bin/sh\nfor p in ghostdropd ghostdrop-desk ghostdrop; do : >../${p}_$(dpkg-parsechangelog -SVersion)_amd64.deb; done\n' \
	>"$T/bin/dpkg-buildpackage"
chmod 755 "$T/bin/dpkg-buildpackage" scripts/static-worker scripts/web-deps
PATH="$T/bin:$PATH" scripts/package "$T/out" >"$T/package.log" 2>&1 || { cat "$T/package.log"; exit 1; }
cat "$T/out"/ghostdrop-*-linux-x86_64
grep -qx HEAD "$T/out"/ghostdrop-*-linux-x86_64
