#!/bin/sh
# Integration: the whole loop through a real (private, loopback-only) Tor network and a v3
# onion service, with ../shared/tools/tor-testnet. A newsroom signs a bundle listing the
# onion address; a worker submits a testimony, a 20 MiB attachment and a follow-up through
# Tor; the courier fetches through the onion, the desk opens offline, replies, pushes; the
# worker reads the reply through the onion; the courier acks. Also: nothing is sent when the
# proxy does not work, each client run asks Tor for circuits of its own (its own SOCKS
# credentials), and the 20 MiB upload is timed against curl through the same onion.
# Usage: test-tor.sh GHOSTDROPD GHOSTDROP GHOSTDROP_DESK SOURCE_ROOT
set -eu
drop_bin=$1 gd=$2 desk=$3 src=$4
here=$src/tests
testnet=$src/../shared/tools/tor-testnet
fail() { echo "test-tor: FAIL: $*" >&2; exit 1; }
[ -x "$testnet" ] || fail "$testnet not found: the Tor test needs the shared tor-testnet tool"
for c in tor tor-gencert curl python3; do
	command -v $c >/dev/null || fail "$c is not installed (scripts/test installs it)"
done

T=$(mktemp -d /tmp/gd-tor-XXXXXX)
pids=""
cleanup() {
	"$testnet" stop "$T/tn" >/dev/null 2>&1 || true
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

wait_file() {
	for _ in $(seq 1 100); do [ -s "$1" ] && return 0; sleep 0.1; done
	fail "$1 did not appear"
}
now() { date +%s.%N; }

# ---- a newsroom, a drop, the onion in front of it ----
echo "correct horse battery staple" >"$T/pass"
pw="--passphrase-file $T/pass"
"$desk" newsroom init --dir "$T/desk" --name "Tor Test Ledger" $pw >"$T/ks" 2>/dev/null
ks=$(cat "$T/ks")
"$desk" journalist add --dir "$T/desk" Ana $pw 2>/dev/null
"$drop_bin" init --data "$T/drop" --newsroom "$ks" --listen 127.0.0.1:0 >/dev/null
printf 'pow_min_bits = 8\npow_max_bits = 12\n' >>"$T/drop/ghostdropd.conf"
"$drop_bin" token add --data "$T/drop" --name courier >"$T/token" 2>/dev/null
user=""
if [ "$(id -u)" = 0 ]; then # ghostdropd refuses to serve as root, as it should
	chmod 711 "$T"
	chown -R nobody:nogroup "$T/drop"
	user="--user nobody"
fi
# shellcheck disable=SC2086
"$drop_bin" serve --data "$T/drop" --port-file "$T/drop/port" $user 2>"$T/drop.log" &
pids="$pids $!"
wait_file "$T/drop/port"
python3 "$here/tor/front.py" "$T/front.port" "$(cat "$T/drop/port")" 2>"$T/front.log" &
pids="$pids $!"
wait_file "$T/front.port"
echo "test-tor: starting a private Tor network (about a minute)"
"$testnet" start "$T/tn" "$(cat "$T/front.port")" >"$T/tn.env" 2>"$T/tn.log" ||
	{ tail -20 "$T/tn.log" >&2; fail "tor-testnet did not start"; }
. "$T/tn.env"
onion="http://$ONION"
python3 "$here/tor/socks_tap.py" "$TOR_SOCKS" "$T/tap.port" "$T/tap.log" 2>"$T/tap.err" &
pids="$pids $!"
wait_file "$T/tap.port"
proxy="127.0.0.1:$(cat "$T/tap.port")"
touch "$T/tap.log"
"$desk" bundle sign --dir "$T/desk" --server "$onion" --out "$T/bundle" $pw 2>/dev/null
"$drop_bin" keys publish --data "$T/drop" "$T/bundle" >/dev/null

stored() {
	"$drop_bin" stats --data "$T/drop" | sed -n 's/^submissions: \([0-9]*\).*/\1/p'
}
# Each run's SOCKS credentials: the lines the tap logged since the mark.
creds_since() { tail -n +"$(($1 + 1))" "$T/tap.log" | sort -u; }
mark() { wc -l <"$T/tap.log"; }

# ---- without a working proxy, nothing is sent ----
echo "must not arrive" >"$T/msg0"
rc=0
"$gd" submit --server "$onion" --newsroom "$ks" --proxy 127.0.0.1:1 --no-reply \
	--message-file "$T/msg0" 2>"$T/err" || rc=$?
[ $rc -eq 4 ] || fail "a dead proxy: exit $rc, wanted 4"
grep -q "cannot reach the Tor SOCKS proxy" "$T/err" || fail "no clear error: $(cat "$T/err")"
[ "$(wc -l <"$T/err")" -eq 1 ] || fail "more than one line on stderr: $(cat "$T/err")"
rc=0
"$gd" submit --server "$onion" --newsroom "$ks" --no-reply --message-file "$T/msg0" \
	--clearnet 2>"$T/err" || rc=$?
# an onion address never goes without Tor, --clearnet or not (default proxy: nothing there)
[ $rc -eq 4 ] || fail "an onion address without a proxy: exit $rc, wanted 4"
[ "$(stored)" = 0 ] || fail "something reached the drop without Tor"

# ---- the worker, through Tor ----
echo "TOR-MARKER-1: we transcribe 6 hours of audio a day, paid per approved minute" >"$T/msg1"
m=$(mark)
"$gd" submit --server "$onion" --newsroom "$ks" --proxy "$proxy" --codename-out "$T/code" \
	--message-file "$T/msg1" --json >"$T/out1" 2>"$T/err" || fail "text submission: $(cat "$T/err")"
creds1=$(creds_since "$m")
head -c 20971520 /dev/urandom >"$T/recording.bin"
m=$(mark)
t0=$(now)
"$gd" submit --server "$onion" --newsroom "$ks" --proxy "$proxy" --codename-file "$T/code" \
	--keep-metadata --message-file "$T/msg1" --json "$T/recording.bin" >"$T/out2" 2>"$T/err" ||
	fail "20 MiB submission: $(cat "$T/err")"
t_gd=$(awk "BEGIN { print $(now) - $t0 }")
creds2=$(creds_since "$m")
bytes=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["bytes"])' "$T/out2")
echo "follow-up: TOR-MARKER-2" >"$T/msg2"
m=$(mark)
"$gd" submit --server "$onion" --newsroom "$ks" --proxy "$proxy" --codename-file "$T/code" \
	--message-file "$T/msg2" >/dev/null 2>"$T/err" || fail "follow-up: $(cat "$T/err")"
creds3=$(creds_since "$m")
[ "$(stored)" = 3 ] || fail "$(stored) submissions stored, wanted 3"

# stream isolation: one identity per run, a new one every run
for c in "$creds1" "$creds2" "$creds3"; do
	[ -n "$c" ] || fail "a run offered no SOCKS credentials"
	[ "$(echo "$c" | wc -l)" -eq 1 ] || fail "one run used several SOCKS identities: $c"
done
[ "$creds1" != "$creds2" ] && [ "$creds2" != "$creds3" ] && [ "$creds1" != "$creds3" ] ||
	fail "two runs shared SOCKS credentials (one Tor circuit): $creds1 / $creds2 / $creds3"

# ---- the baseline: the same number of bytes, curl, the same onion, the same run ----
head -c "$bytes" /dev/urandom >"$T/same-size.bin"
t0=$(now)
curl -s -f --socks5-hostname "$TOR_SOCKS" -X POST -H "Content-Type: application/octet-stream" \
	--data-binary "@$T/same-size.bin" "$onion/sink" >/dev/null || fail "curl through the onion failed"
t_curl=$(awk "BEGIN { print $(now) - $t0 }")

# ---- the courier through the onion, the desk offline, a reply back ----
"$desk" fetch --server "$onion" --token-file "$T/token" --proxy "$proxy" --out "$T/batch" \
	2>"$T/err" || fail "fetch: $(cat "$T/err")"
"$desk" open --dir "$T/desk" "$T/batch" --out "$T/opened" $pw --json >"$T/open.json" 2>"$T/err" ||
	fail "open: $(cat "$T/err")"
python3 - "$T/open.json" <<'PY' || fail "open did not report 3 opened"
import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(0 if r["opened"] == 3 and r["failed"] == 0 else 1)
PY
grep -rlq "TOR-MARKER-1" "$T/opened" || fail "the testimony did not arrive"
grep -rlq "TOR-MARKER-2" "$T/opened" || fail "the follow-up did not arrive"
# a neutral name, the one the worker was told it sends (--json)
sent=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["attachments"][0]["name"])' "$T/out2")
case "$sent" in attachment-1*) ;; *) fail "the attachment was sent as $sent, not a neutral name" ;; esac
got=$(find "$T/opened" -name "$sent")
[ -n "$got" ] || fail "the 20 MiB attachment did not arrive"
cmp -s "$got" "$T/recording.bin" || fail "the 20 MiB attachment arrived different"
[ "$(ls "$T/opened" | grep -v -e '^ack$' | wc -l)" -eq 1 ] || fail "not one source folder"
source=$(ls "$T/opened" | grep -v -e '^ack$')
echo "Thank you. Which client was it?" >"$T/reply.txt"
"$desk" reply --dir "$T/desk" --as Ana --source "$source" --message-file "$T/reply.txt" \
	--out "$T/reply.gdr" $pw 2>/dev/null
"$desk" push --server "$onion" --token-file "$T/token" --proxy "$proxy" "$T/reply.gdr" 2>"$T/err" ||
	fail "push: $(cat "$T/err")"
"$gd" replies --server "$onion" --newsroom "$ks" --proxy "$proxy" --codename-file "$T/code" \
	>"$T/replies" 2>"$T/err" || fail "replies: $(cat "$T/err")"
grep -q "Which client was it" "$T/replies" || fail "the reply did not arrive: $(cat "$T/replies")"
"$desk" ack --server "$onion" --token-file "$T/token" --proxy "$proxy" "$T/opened/ack" 2>"$T/err" ||
	fail "ack: $(cat "$T/err")"
[ "$(stored)" = 0 ] || fail "$(stored) submissions left after the ack"
# the drop's log names no client and no marker
! grep -q -e "127.0.0.1" -e "TOR-MARKER" "$T/drop.log" || fail "the drop's log leaks"

ratio=$(awk "BEGIN { printf \"%.2f\", $t_gd / $t_curl }")
printf 'test-tor: 20 MiB testimony through the onion: ghostdrop %.2f s (encrypt, PoW, resumable chunks), curl %.2f s for the same %s bytes: ratio %s\n' \
	"$t_gd" "$t_curl" "$bytes" "$ratio"
echo "test-tor: ok"
