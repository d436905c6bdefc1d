#!/bin/bash
# Debian binary packages (bindeb-pkg) of the kernel configured and built in
# OUT, moved to DEST.  Uses the build settings of build.sh (lib.sh kmake), so
# packaging a built tree only packages.  The changelog entry names the
# series (deb-changelog.sh).
# Usage: package.sh ARCH TREE OUT DEST
# Env: FLAVOUR (named in the changelog), DEB_BUILD_PROFILES (e.g.
# "pkg.linux-protmem.nokernelheaders"), KDEB_COMPRESS, LOCALVERSION.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

arch_args "$@"
dest=$(realpath -m "${4:?DEST}")
[ -f "$out/.config" ] || die "no configured kernel in $out"

src=linux-protmem
ver=$(make -s -C "$tree" kernelversion)-$(deb_revision)
rel=$(kmake -s kernelrelease)
debarch=$(case "$arch" in x86_64) echo amd64 ;; arm64) echo arm64 ;; esac)
name=$(git -C "$TOP" config user.name 2>/dev/null || echo "TEE protmem rig")
email=$(git -C "$TOP" config user.email 2>/dev/null || echo "rig@localhost")
# shellcheck disable=SC1091 # the host's release
dist=$(. /etc/os-release && echo "${VERSION_CODENAME:-unstable}")

parent=$(dirname "$out")
files() {
	find "$parent" -maxdepth 1 \( -name "linux-image-${rel}_*" -o \
		-name "linux-image-$rel-dbg_*" -o -name "linux-headers-${rel}_*" -o \
		-name "linux-libc-dev_${ver}_$debarch.deb" -o \
		-name "${src}_${ver}_$debarch.*" \) "$@"
}
files -delete

kbuild_lock
note "packaging $rel ($ver, $debarch) from $out"
export DEB_RULES_REQUIRES_ROOT=no
SERIES_TOP=$TOP FLAVOUR=${FLAVOUR:-} DEBFULLNAME=$name DEBEMAIL=$email \
	kmake KDEB_SOURCENAME=$src KDEB_PKGVERSION="$ver" \
	KDEB_CHANGELOG_DIST="$dist" \
	DPKG_FLAGS="--hook-init=$TOP/scripts/deb-changelog.sh" \
	bindeb-pkg >"$out/package.log" 2>&1 ||
	{ tail -n 30 "$out/package.log" >&2; die "bindeb-pkg failed: $out/package.log"; }
exec 9>&-

rm -rf "$dest"
mkdir -p "$dest"
files -exec mv -t "$dest" {} +
note "packages in $dest:"
ls -1 "$dest"/*.deb
