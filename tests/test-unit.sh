#!/bin/sh
# docs/ghostdropd.service (the template meson fills with the real sbindir) is a unit systemd
# accepts without a single warning (systemd-analyze verify), it starts nothing before
# `ghostdropd init` wrote the drop's configuration (the packages enable it at install), and the
# check would notice a misspelt hardening option. Skipped, visibly (77),
# only where systemd-analyze does not exist. The unit meson generates (the one installed, which
# `systemctl cat ghostdropd` shows an operator) has every @...@ filled in and does not call
# itself the template.
# Usage: test-unit.sh SOURCE_ROOT GHOSTDROPD GENERATED_UNIT
set -eu
src=$1 bin=$(readlink -f "$2") unit=$3
if grep -n '@[a-z_]*@\|template' "$unit" >&2; then
	echo "test-unit: FAIL: the generated unit (above) says it is the template or has an @...@ left" >&2
	exit 1
fi
if ! command -v systemd-analyze >/dev/null; then
	echo "test-unit: SKIP: systemd-analyze is not installed" >&2
	exit 77
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# the binary must exist for verify: point the unit at the one just built
sed "s|@sbindir@/ghostdropd|$bin|" "$src/docs/ghostdropd.service" >"$T/ghostdropd.service"
grep -q "^ExecStart=$bin " "$T/ghostdropd.service" || { echo "test-unit: FAIL: no ExecStart=@sbindir@/ghostdropd in the template" >&2; exit 1; }
out=$(systemd-analyze verify --man=no "$T/ghostdropd.service" 2>&1) || true
[ -z "$out" ] || { echo "test-unit: FAIL: $out" >&2; exit 1; }
for want in "ProtectSystem=strict" "NoNewPrivileges=yes" "MemoryDenyWriteExecute=yes" \
	"PrivateTmp=yes" "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX" "SystemCallFilter=@system-service" \
	"StateDirectory=ghostdrop" "IPAddressDeny=any" \
	"ConditionPathExists=/var/lib/ghostdrop/drop/ghostdropd.conf"; do
	grep -qx "$want" "$T/ghostdropd.service" || { echo "test-unit: FAIL: no $want" >&2; exit 1; }
done
sed 's/^ProtectSystem=strict/ProtectSytem=strict/' "$T/ghostdropd.service" >"$T/typo.service"
out=$(systemd-analyze verify --man=no "$T/typo.service" 2>&1) || true
[ -n "$out" ] || { echo "test-unit: FAIL: a misspelt option went unnoticed" >&2; exit 1; }
echo "test-unit: ok"
