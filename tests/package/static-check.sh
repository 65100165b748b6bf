#!/bin/sh
# ghostdrop: check the static worker binary OUTDIR/ghostdrop-VERSION-linux-x86_64 (scripts/
# static-worker; built here first when it is missing), as a worker on Tails or a borrowed
# laptop runs it: it is not dynamic (ldd, no PT_INTERP) and links no NSS (nsswitch.conf) nor
# a path of the build; from INSIDE an empty chroot holding nothing but itself and the files it
# is given (no /dev, /proc, /etc, /tmp, locale or HOME) it sends a testimony to a drop on
# 127.0.0.1 (ghostdropd, --clearnet) and writes nothing but the codename file it was told to,
# and the desk opens the testimony; with --lang es it speaks the Spanish of po/es.po (the
# embedded catalogue); a second build of HEAD's sources in another directory gives
# the same bytes; it is hardened as the .debs' programs are (static PIE, RELRO, BIND_NOW,
# _FORTIFY_SOURCE=2).
# The drop and the desk: $GHOSTDROPD and $GHOSTDROP_DESK, else the installed programs, else
# build-test's or build's. As root the chroot is entered with chroot(8), otherwise with
# `unshare -r` (a user namespace); it shares the network, so 127.0.0.1 is the drop.
# Each check appends {"name": ..., "result": "OK"|"FAIL"} to OUTDIR/results.jsonl; exit 1 when
# one failed. Usage: tests/package/static-check.sh OUTDIR
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
[ $# -eq 1 ] || { echo "usage: tests/package/static-check.sh OUTDIR" >&2; exit 2; }
mkdir -p "$1"
out=$(cd "$1" && pwd)
results="$out/results.jsonl"
failed=0
result() { # NAME OK|FAIL [why]
	printf '{"name": "%s", "result": "%s"}\n' "$1" "$2" >>"$results"
	if [ "$2" = OK ]; then
		echo "static-check: $1: ok"
	else
		failed=1
		echo "static-check: $1: FAIL${3:+: $3}" >&2
	fi
}
version=$(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" "$src/meson.build" | head -n 1)
bin="$out/ghostdrop-$version-linux-x86_64"
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$src" log -1 --format=%ct)}
export SOURCE_DATE_EPOCH
T=$(mktemp -d /tmp/s-check-XXXXXX)
chmod 711 "$T" # the drop runs as nobody under it when root
pid=""
build2=""
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
	# the second build (its meson and ninja) ends before its directory goes
	if [ -n "$build2" ]; then wait "$build2" 2>/dev/null || true; fi
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# Both builds are HEAD's, as scripts/package's is (git archive): an uncommitted edit in the
# working tree is in neither, and cannot make two builds differ.
head_sources() { # DIR: HEAD's files, no .git, no build dir
	mkdir -p "$1" && git -C "$src" archive --format=tar HEAD | tar -xf - -C "$1"
}
if [ ! -f "$bin" ]; then
	head_sources "$T/first/ghostdrop-src"
	STATIC_BUILD_DIR="$T/first/build" "$T/first/ghostdrop-src/scripts/static-worker" "$out" \
		>/dev/null
fi

# ---- the file itself
# (ldd says "statically linked" of a static PIE, "not a dynamic executable" of a static EXEC)
if ldd "$bin" 2>&1 | grep -Eq "not a dynamic executable|statically linked" &&
	! readelf -lW "$bin" | grep -q INTERP &&
	file "$bin" | grep -Eq "static-pie linked|statically linked"; then
	result static-not-dynamic OK
else
	result static-not-dynamic FAIL "$(ldd "$bin" 2>&1 | head -n 3)"
fi
# glibc's NSS reads /etc/nsswitch.conf; the worker never resolves a name (scripts/static-worker
# makes a link of getaddrinfo & co. fail), and no path of the machine that built it is inside
if grep -a -q -e nsswitch.conf -e "$src" -e /tmp/s-static "$bin"; then
	result static-no-nss-no-paths FAIL "nsswitch.conf or a build path in $bin"
else
	result static-no-nss-no-paths OK
fi

# ---- reproducible: the same bytes from a copy of the sources elsewhere, built elsewhere,
# in the background while the chroot is tested (most of this check's time)
copy="$T/elsewhere/ghostdrop-src"
head_sources "$copy" && STATIC_BUILD_DIR="$T/elsewhere/build" "$copy/scripts/static-worker" \
	"$T/out2" >"$T/build2.log" 2>&1 &
build2=$!

# ---- a drop on 127.0.0.1, a newsroom and its bundle
find_prog() { # NAME ENV-VALUE: the program to use
	if [ -n "$2" ]; then echo "$2"; return; fi
	for p in "$(command -v "$1" 2>/dev/null)" "/usr/sbin/$1" "$src/build-test/server/$1" \
		"$src/build-test/client/$1" "$src/build/server/$1" "$src/build/client/$1"; do
		if [ -n "$p" ] && [ -x "$p" ]; then echo "$p"; return; fi
	done
}
d=$(find_prog ghostdropd "${GHOSTDROPD:-}")
desk=$(find_prog ghostdrop-desk "${GHOSTDROP_DESK:-}")
if [ -z "$d" ] || [ -z "$desk" ]; then
	result static-chroot-submit FAIL "no ghostdropd or ghostdrop-desk (set GHOSTDROPD and \
GHOSTDROP_DESK, install the packages, or build build-test)"
	exit 1
fi
chroot=$(PATH="$PATH:/usr/sbin:/sbin" command -v chroot) # env -i: by its full path
if [ "$(id -u)" = 0 ]; then
	enter=$chroot
	user="--user nobody"
else
	enter="$(command -v unshare) -r $chroot"
	user=""
fi
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
server="http://127.0.0.1:$port"
echo "static-check passphrase, never for real keys" >"$T/pw"
setup_drop() {
	pw="$T/pw"
	$desk newsroom init --dir "$T/desk" --name "Static Check" --passphrase-file "$pw" \
		>"$T/newsroom.pub" &&
		$desk journalist add --dir "$T/desk" ana --passphrase-file "$pw" &&
		$desk bundle sign --dir "$T/desk" --server "$server" --out "$T/bundle.gdkb" \
			--passphrase-file "$pw" &&
		$d init --data "$T/drop" --newsroom "$(cat "$T/newsroom.pub")" --listen "127.0.0.1:$port" &&
		$d keys publish --data "$T/drop" "$T/bundle.gdkb" &&
		$d token add --data "$T/drop" --name courier >"$T/token" &&
		if [ -n "$user" ]; then chown -R nobody:nogroup "$T/drop"; fi
}
if ! setup_drop >"$T/setup.log" 2>&1; then
	sed 's/^/  | /' "$T/setup.log" >&2
	result static-chroot-submit FAIL "could not make the drop with $d and $desk"
	exit 1
fi
# shellcheck disable=SC2086
$d serve --data "$T/drop" $user >"$T/drop.log" 2>&1 &
pid=$!
for _ in $(seq 50); do
	grep -q serving "$T/drop.log" 2>/dev/null && break
	sleep 0.1
done
newsroom=$(cat "$T/newsroom.pub")

# run NAME ARGS...: ghostdrop ARGS in an empty root $T/NAME holding only it and
# testimony.txt, without any environment; what it says (stdout and stderr) in $T/NAME.out
run() {
	r="$T/$1"
	shift
	mkdir -p "$r"
	cp "$bin" "$r/ghostdrop"
	cp "$T/testimony.txt" "$r/testimony.txt"
	# shellcheck disable=SC2086
	env -i $enter "$r" /ghostdrop "$@" >"$r.out" 2>&1
}
opened() { # NAME: the desk fetches and opens what was sent, finds the testimony
	$desk fetch --server "$server" --token-file "$T/token" --clearnet --out "$T/$1.batch" &&
		$desk open --dir "$T/desk" "$T/$1.batch" --out "$T/$1.opened" --passphrase-file "$T/pw" &&
		grep -rqF "$(cat "$T/testimony.txt")" "$T/$1.opened" &&
		$desk ack --server "$server" --token-file "$T/token" --clearnet "$T/$1.opened/ack"
}
only() { # ROOT FILE...: ROOT holds exactly these files (the worker wrote nothing else)
	r=$1
	shift
	want=$(for f in "$@"; do echo "$r/$f"; done | sort)
	[ "$(find "$r" -mindepth 1 | sort)" = "$want" ]
}

echo "We label 400 images an hour and are paid for 6 of our 9 hours (static check)." \
	>"$T/testimony.txt"
if run en submit --server "$server" --newsroom "$newsroom" --clearnet \
	--message-file /testimony.txt --codename-out /codename.txt &&
	grep -q "reached the drop" "$T/en.out" && [ -s "$T/en/codename.txt" ] &&
	only "$T/en" ghostdrop testimony.txt codename.txt &&
	opened en >"$T/desk.log" 2>&1; then
	result static-chroot-submit OK
else
	cat "$T/en.out" "$T/desk.log" "$T/drop.log" 2>/dev/null | sed 's/^/  | /' >&2
	find "$T/en" | sed 's/^/  | /' >&2
	result static-chroot-submit FAIL "the submission from an empty chroot"
fi

# Spanish from the embedded catalogue: the msgstr of po/es.po, word for word
msgstr() { # MSGID: its msgstr in po/es.po (one line each)
	python3 - "$src/po/es.po" "$1" <<'EOF'
import re, sys
po = open(sys.argv[1], encoding="utf-8").read()
for m in re.finditer(r'\nmsgid ((?:"(?:[^"\\]|\\.)*"\n)+)msgstr ((?:"(?:[^"\\]|\\.)*"\n)+)', po):
    join = lambda s: "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', s))
    if join(m.group(1)) == sys.argv[2]:
        print(join(m.group(2)).encode().decode("unicode_escape").encode("latin-1").decode())
EOF
}
done_es=$(msgstr 'Your codename is in %s: move it somewhere safe.\n' | sed 's|%s|/codename.txt|')
missing_es=$(msgstr "No such file or directory")
if [ -n "$done_es" ] && [ -n "$missing_es" ] &&
	run es --lang es submit --server "$server" --newsroom "$newsroom" \
		--clearnet --message-file /testimony.txt --codename-out /codename.txt &&
	grep -qF "$done_es" "$T/es.out" && opened es >"$T/desk.log" 2>&1 &&
	! run es2 --lang es submit --server "$server" --newsroom \
		"$newsroom" --clearnet --message-file /missing.txt --codename-out /codename.txt &&
	[ "$(cat "$T/es2.out")" = "ghostdrop: /missing.txt: $missing_es" ] &&
	only "$T/es2" ghostdrop testimony.txt; then
	result static-chroot-lang-es OK
else
	cat "$T/es.out" "$T/es2.out" "$T/desk.log" 2>/dev/null | sed 's/^/  | /' >&2
	result static-chroot-lang-es FAIL "expected '$done_es' and '$missing_es'"
fi

b2ok=0
if wait "$build2" && cmp "$bin" "$T/out2/$(basename "$bin")"; then
	result static-reproducible OK
	b2ok=1
else
	sed 's/^/  | /' "$T/build2.log" | tail -n 20 >&2
	result static-reproducible FAIL "a second build in $T/elsewhere differs from $bin"
fi

# ---- hardened as the .debs' programs are: a static PIE (ELF type DYN without PT_INTERP: it
# relocates itself, so ASLR moves it), RELRO and BIND_NOW (the GOT read-only once relocated),
# and fortified (-D_FORTIFY_SOURCE=2: our objects call the __*_chk functions). The file is
# stripped, so the fortified calls are read from the objects of the second build, whose
# program is byte for byte this one (static-reproducible).
why=""
readelf -hW "$bin" | grep -Eq 'Type: +DYN' || why="$why not PIE (ELF type $(readelf -hW "$bin" |
	sed -n 's/ *Type: *//p'));"
readelf -lW "$bin" | grep -q INTERP && why="$why has PT_INTERP;"
readelf -lW "$bin" | grep -q GNU_RELRO || why="$why no GNU_RELRO;"
readelf -dW "$bin" 2>/dev/null | grep -Eq 'BIND_NOW|FLAGS_1.*NOW' || why="$why no BIND_NOW;"
if [ "$b2ok" = 1 ]; then
	chk=$(find "$T/elsewhere/build/client" -name '*.o' -exec nm -u {} + 2>/dev/null |
		grep -c ' U __.*_chk$' || true)
	[ "$chk" -gt 0 ] || why="$why no __*_chk call in the worker's objects (not fortified);"
else
	why="$why fortification not checked (no equal second build);"
fi
if [ -z "$why" ]; then
	result static-hardened OK
else
	result static-hardened FAIL "${why%;}"
fi
exit $failed
