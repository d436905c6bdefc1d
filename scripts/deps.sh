#!/bin/bash
# Install the Debian packages the rig needs (apt-get), including what
# bindeb-pkg needs to package for amd64 and cross-package for arm64
# (debhelper, libssl-dev:arm64).  As root it installs what is missing; as a
# user it prints the command to run and stops.  Then fetch the
# mainline-based source of the upstream series into build/
# (mainline-source.sh: a private apt configuration, no root needed) and
# Debian's arm64 kernel config (debian-config.sh).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PKGS="linux-source-6.12 linux-config-6.12 quilt qemu-system-x86 qemu-system-arm
gcc gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu libc6-dev-arm64-cross make busybox-static
libkmod-dev libcap-dev sparse ccache shellcheck bc flex bison libelf-dev
libssl-dev cpio dwarves kmod rsync python3 git git-email libmailtools-perl
dpkg-dev fakeroot debhelper libssl-dev:arm64 debian-archive-keyring b4"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
		missing="$missing $p"
done
foreign=0
dpkg --print-foreign-architectures | grep -qx arm64 || foreign=1
fetch() {
	"$TOP/scripts/mainline-source.sh" >/dev/null
	"$TOP/scripts/debian-config.sh" arm64 >/dev/null
}
if [ -z "$missing" ] && [ "$foreign" = 0 ]; then
	fetch
	exit 0
fi

cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends$missing"
[ "$foreign" = 0 ] || cmd="dpkg --add-architecture arm64 && $cmd"
if [ "$(id -u)" != 0 ]; then
	echo "Missing Debian packages or the arm64 architecture (for the arm64 guest's busybox and libraries):" >&2
	echo "  sudo sh -c '$cmd'" >&2
	exit 1
fi
note "installing:${missing:- (none)}${foreign:+; adding dpkg architecture arm64}"
sh -c "$cmd"
fetch
