#!/bin/bash
# Fetch Debian's arm64 busybox and the arm64 libraries the kselftests link
# against with `apt-get download`, and unpack them with `dpkg -x` into
# build/sysroot-arm64.  Nothing is installed into the host.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PKGS="busybox-static libkmod2 libkmod-dev libcap2 libcap-dev liblzma5 libzstd1 libssl3"
root=$BUILD/sysroot-arm64
stamp=$root/.pkgs
[ "$(cat "$stamp" 2>/dev/null)" != "$PKGS" ] || exit 0

dpkg --print-foreign-architectures | grep -qx arm64 ||
	die "arm64 is not a dpkg architecture: run 'make deps'"
debs=$BUILD/debs-arm64
rm -rf "$debs" "$root"
mkdir -p "$debs" "$root"
# apt downloads as user _apt when it can write the directory.
chmod 777 "$debs"
note "fetching arm64 packages: $PKGS"
read -ra pkgs <<<"$PKGS"
(cd "$debs" && apt-get download -q "${pkgs[@]/%/:arm64}" >/dev/null)
for deb in "$debs"/*.deb; do
	dpkg -x "$deb" "$root"
done
echo "$PKGS" >"$stamp"
