#!/bin/sh
# Integration: ghostdrop-demo builds a newsroom in a fresh directory and runs one testimony
# through it; secrets end up 0600; an existing directory is refused.
set -eu
demo=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=$("$demo" --dir "$tmp/d")
fail() { echo "test-demo: $*" >&2; exit 1; }
echo "$out" | grep -q '^   gdnk1[a-z2-7]\{58\}  <- publish' || fail "no key string"
echo "$out" | grep -q 'message: "We moderate 900 videos' || fail "testimony not opened"
echo "$out" | grep -q 'signature by the source.s identity key: verified' || fail "no signature"
echo "$out" | grep -q 'Ana replied: "Thank you.' || fail "reply not opened"
for f in newsroom.key ana.key PASSPHRASE-demo-only; do
	[ "$(stat -c %a "$tmp/d/$f")" = 600 ] || fail "$f is not 0600"
done
[ "$(stat -c %s "$tmp/d/testimony.gde")" = 16583 ] || fail "testimony not in the 16 KiB bucket"
# The codename is shown once and never written anywhere.
code=$(echo "$out" | sed -n 's/.*codename (shown once, written down by the worker): //p')
[ -n "$code" ] || fail "no codename shown"
if grep -rqF "$code" "$tmp/d"; then fail "codename written to disk"; fi
if "$demo" --dir "$tmp/d" >/dev/null 2>&1; then fail "reused an existing directory"; fi
"$demo" 2>/dev/null && fail "ran without --dir"
echo "test-demo: ok"
