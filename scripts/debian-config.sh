#!/bin/bash
# Print the path of Debian's own kernel config for ARCH (x86_64 or arm64),
# flavour "none_<arch>" of the linux-config-6.12 package whose version
# matches linux-source-6.12.  amd64's comes with the installed package;
# other architectures' are fetched once with `apt-get download
# linux-config-6.12:ARCH=VERSION` and unpacked into build/debian-config/.
# Usage: debian-config.sh ARCH
set -euo pipefail
. "$(dirname "$0")/lib.sh"

arch=${1:?ARCH}
case "$arch" in
x86_64) debarch=amd64 ;;
arm64) debarch=arm64 ;;
*) die "unknown ARCH '$arch' (x86_64 or arm64)" ;;
esac
ver=$(debian_version)
name=config.${debarch}_none_$debarch.xz

installed=/usr/src/linux-config-6.12/$name
if [ -r "$installed" ] &&
	[ "$(dpkg-query -W -f='${Version}' "linux-config-6.12:$debarch" 2>/dev/null)" = "$ver" ]; then
	echo "$installed"
	exit 0
fi

dir=$BUILD/debian-config/$(echo "$ver" | tr "~:" "__")/$debarch
if [ ! -r "$dir/$name" ]; then
	note "fetching linux-config-6.12:$debarch $ver"
	tmp=$(mktemp -d "$BUILD/.debian-config.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	# apt's _apt user may not write here: download as the caller.
	(cd "$tmp" && apt-get download -q -o APT::Sandbox::User="$(id -un)" \
		"linux-config-6.12:$debarch=$ver" >/dev/null) ||
		die "cannot download linux-config-6.12:$debarch=$ver (dpkg --add-architecture $debarch; apt-get update: 'make deps')"
	dpkg-deb -x "$tmp"/linux-config-6.12_*.deb "$tmp/root"
	mkdir -p "$dir"
	mv "$tmp/root/usr/src/linux-config-6.12/$name" "$dir/$name"
fi
echo "$dir/$name"
