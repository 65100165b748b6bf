# ghostdrop: install the Debian 12 packages the build and tests need (sourced by scripts/*).
# Installs only what is missing; apt-get update first (fresh machines have no package lists).
# chromium: Debian's, for the submission page's browser tests (tests/web; about a minute to
# install on a fresh machine). Node and npm (scripts/web-deps) come below, only if missing.
# gettext (msgfmt, xgettext) builds the worker CLI's translations (po/); locales has localedef
# and the locale sources gd_locales generates the tests' locales from. debhelper, dpkg-dev,
# lintian: scripts/package and scripts/test-packages (the Debian packages; no fakeroot:
# debian/control says Rules-Requires-Root: no); man-db: `man ghostdrop` there; systemd for
# systemd-analyze verify on the installed unit (nothing is started); file and binutils (readelf)
# for tests/package/static-check.sh.
GD_PACKAGES="meson ninja-build pkg-config gcc python3 libsodium-dev libevent-dev liblmdb-dev
libjansson-dev libseccomp-dev check diceware mat2 tor curl clang-format chromium gettext locales
debhelper dpkg-dev lintian man-db systemd file binutils"
# The locales tests/i18n runs the worker CLI under, one per language of po/LINGUAS.
GD_LOCALES="es_ES pt_BR fil_PH sw_KE fr_FR"

gd_sudo() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

gd_install_deps() {
	missing=""
	for p in $GD_PACKAGES ${GD_EXTRA_PACKAGES:-}; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
			missing="$missing $p"
		fi
	done
	# Node and npm by command, not by package: a Node from elsewhere (NodeSource's nodejs
	# carries its own npm) is used as it is; Debian's nodejs and npm when there is none.
	command -v node >/dev/null 2>&1 || missing="$missing nodejs"
	command -v npm >/dev/null 2>&1 || missing="$missing npm"
	[ -z "$missing" ] && return 0
	echo "ghostdrop: installing:$missing" >&2
	# Never let a package start a service (tor would try to reach the public network).
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' | gd_sudo tee /usr/sbin/policy-rc.d >/dev/null
		gd_sudo chmod 755 /usr/sbin/policy-rc.d
	fi
	gd_sudo apt-get update -qq
	# shellcheck disable=SC2086
	gd_sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
}

# Generate the GD_LOCALES that are missing (UTF-8; a few seconds each): tests/i18n fails, and
# says which, when one is not there.
gd_locales() {
	for l in $GD_LOCALES; do
		if ! locale -a 2>/dev/null | grep -qix "$l\.utf-\?8"; then
			echo "ghostdrop: generating the locale $l.UTF-8" >&2
			gd_sudo localedef -i "$l" -f UTF-8 "$l.UTF-8"
		fi
	done
}
