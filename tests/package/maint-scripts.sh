#!/bin/sh
# ghostdropd's maintainer scripts (postinst configure, prerm, postrm purge) run for real, each case in
# a private mount namespace (unshare -m: a copy of /etc bound over /etc, tmpfs on /var/lib,
# /home and /run), so accounts and directories are made and planted there and nothing of this
# machine changes. deb-systemd-invoke, deb-systemd-helper and systemctl are stand-ins that
# log what they are asked.
# Cases: a fresh install (no start); an upgrade (only try-restart: a drop its operator
# stopped stays stopped); prerm stops it on remove, not on upgrade; an existing login account
# "ghostdrop" (refused, never adopted); a system user without its group; /var/lib/ghostdrop as a symlink, a dangling symlink, an empty root-owned
# 0755 directory (made the drop's), a directory of someone else's files (refused); purge with
# a drop's data (kept, and the message says how to fetch it: install ghostdropd again, or to
# delete it if "submissions: 0" was checked; it names no file the purge removed).
# Appends {"name": "maint-...", "result": ...} lines to RESULTS; exit status 1 if one failed.
# Runs as root. Usage: tests/package/maint-scripts.sh GHOSTDROPD.deb RESULTS
set -eu
deb=$(realpath "$1")
results=$2
T=$(mktemp -d "${TMPDIR:-/tmp}/ghostdrop-maint-XXXXXX")
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM
dpkg-deb -e "$deb" "$T/ctl"
mkdir "$T/bin"
for t in deb-systemd-invoke deb-systemd-helper systemctl; do
	printf '#!/bin/sh\necho "%s $*" >>/run/invoked\n' "$t" >"$T/bin/$t"
	chmod 755 "$T/bin/$t"
done
failed=0
# CASE SETUP SCRIPT CHECK: SETUP then SCRIPT (e.g. "postinst configure ''"), output in
# $T/CASE.out, then CHECK (sh, in the namespace; $rc is the script's exit status)
case_() {
	name=$1
	rm -rf "${T:?}/etc"
	cp -a /etc "$T/etc"
	if unshare -m sh -c "
		set -u
		mount --make-rprivate / && mount --bind '$T/etc' /etc && mount -t tmpfs tmpfs /var/lib &&
			mount -t tmpfs tmpfs /home && mount -t tmpfs tmpfs /run || exit 90
		mkdir -p /run/systemd/system /var/lib/systemd
		$2
		DPKG_MAINTSCRIPT_PACKAGE=ghostdropd DPKG_MAINTSCRIPT_NAME=${3%% *} \
			PATH='$T/bin':\$PATH sh '$T/ctl/'$3 >'$T/$name.out' 2>&1; rc=\$?
		{ $4
		} || { echo invoked:; cat /run/invoked; ls -ld $s; id ghostdrop; exit 1; }
	" >"$T/$name.check" 2>&1; then
		printf '{"name": "maint-%s", "result": "OK"}\n' "$name" >>"$results"
		echo "maint-scripts: $name: ok"
	else
		printf '{"name": "maint-%s", "result": "FAIL"}\n' "$name" >>"$results"
		echo "maint-scripts: $name: FAIL" >&2
		sed 's/^/  | /' "$T/$name.out" "$T/$name.check" | tail -20 >&2
		failed=1
	fi
	rm -rf "${T:?}/etc"
}
s=/var/lib/ghostdrop
ours="test \"\$(stat -c '%a %U %G' $s)\" = '700 ghostdrop ghostdrop'"
sysuser="getent passwd ghostdrop | grep -q ':$s:/usr/sbin/nologin\$' &&
	[ \$(id -u ghostdrop) -lt 1000 ] && id -Gn ghostdrop | grep -qw ghostdrop"

# a first install says, in two lines, that the drop is not made yet and which command the service
# waits for; an upgrade says nothing
case_ fresh-install : "postinst configure ''" \
	"[ \$rc = 0 ] && $sysuser && $ours && ! grep -qw 'start\\|restart' /run/invoked &&
	grep -q 'no drop made yet' '$T/fresh-install.out' &&
	grep -q 'sudo -u ghostdrop ghostdropd init --data $s/drop' '$T/fresh-install.out' &&
	[ \$(wc -l <'$T/fresh-install.out') -le 2 ]"
case_ upgrade-try-restart "adduser --quiet --system --group --home $s --no-create-home ghostdrop &&
	install -d -m 0700 -o ghostdrop -g ghostdrop $s" "postinst configure 0.0.9" \
	"[ \$rc = 0 ] && grep -qx 'deb-systemd-invoke try-restart ghostdropd.service' /run/invoked &&
	! grep -q 'invoke start\\|invoke restart' /run/invoked && ! test -s '$T/upgrade-try-restart.out'"
case_ remove-stops "" "prerm remove" \
	"[ \$rc = 0 ] && grep -qx 'deb-systemd-invoke stop ghostdropd.service' /run/invoked"
case_ upgrade-does-not-stop "" "prerm upgrade 0.1.0" \
	"[ \$rc = 0 ] && ! grep -q 'invoke stop' /run/invoked"
case_ login-account-refused "useradd -m -s /bin/bash ghostdrop" "postinst configure ''" \
	"[ \$rc != 0 ] && grep -q 'not a system account' '$T/login-account-refused.out' &&
	! test -e $s && getent passwd ghostdrop | grep -q ':/bin/bash\$'"
case_ system-user-without-group "adduser --quiet --system ghostdrop" "postinst configure ''" \
	"[ \$rc = 0 ] && getent group ghostdrop && id -Gn ghostdrop | grep -qw ghostdrop && $ours"
case_ symlink-refused "mkdir -m 0777 /run/elsewhere && ln -s /run/elsewhere $s" \
	"postinst configure ''" \
	"[ \$rc != 0 ] && grep -q 'is a symbolic link' '$T/symlink-refused.out' && test -L $s &&
	test \"\$(stat -c '%a %U' /run/elsewhere)\" = '777 root'"
case_ dangling-symlink-refused "ln -s /run/nothing $s" "postinst configure ''" \
	"[ \$rc != 0 ] && grep -q 'is a symbolic link' '$T/dangling-symlink-refused.out' &&
	test -L $s && ! test -e /run/nothing"
case_ empty-root-dir-fixed "mkdir -m 0755 $s" "postinst configure ''" "[ \$rc = 0 ] && $ours"
case_ others-files-refused "mkdir -m 0755 $s && echo x >$s/notes" "postinst configure ''" \
	"[ \$rc != 0 ] && grep -q 'belongs to root' '$T/others-files-refused.out' &&
	test \"\$(stat -c '%a %U' $s)\" = '755 root'"
case_ purge-keeps-data-says-reinstall "mkdir -p $s/drop && echo x >$s/drop/ghostdropd.conf" \
	"postrm purge" \
	"[ \$rc = 0 ] && test -f $s/drop/ghostdropd.conf &&
	tr '\\n' ' ' <'$T/purge-keeps-data-says-reinstall.out' | grep -q 'install ghostdropd again' &&
	grep -q 'submissions: 0' '$T/purge-keeps-data-says-reinstall.out' &&
	grep -q 'already checked' '$T/purge-keeps-data-says-reinstall.out' &&
	! grep -q /usr/share/doc '$T/purge-keeps-data-says-reinstall.out'"
exit $failed
