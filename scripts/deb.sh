#!/bin/bash
# Debian binary kernel packages of the patched tree: linux-image,
# linux-headers and linux-libc-dev, in build/deb/CONFIG-ARCH/.
# CONFIG=small (default): the rig's QEMU guest kernel as make check builds it
#   (same output directory, so nothing is rebuilt after make check): debug
#   options and teesim included; DEBUG=0 drops the debug options.
# CONFIG=debian: Debian's own config for ARCH plus configs/debian.config (TEE
#   and OP-TEE modules, no teesim), for boards; a full Debian kernel build
#   (hours on 2 cores, see README).
# Usage: deb.sh [ARCH]   (ARCH=x86_64 or arm64; arm64 is cross-built)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

arch=${1:-${ARCH:-x86_64}}
cfg=${CONFIG:-small}
tree=$BUILD/tree
case "$cfg" in
small)
	out=$BUILD/out/$arch
	[ "${DEBUG:-1}" != 0 ] || out=$BUILD/out/$arch-nodebug
	"$TOP/scripts/build.sh" "$arch" "$tree" "$out"
	flavour="small: the rig's QEMU guest config$([ "${DEBUG:-1}" = 0 ] || echo " with debug options"), teesim built in or as a module"
	;;
debian)
	out=$BUILD/out/debian-$arch
	export LOCALVERSION=-protmem
	"$TOP/scripts/debian-configure.sh" "$arch" "$tree" "$out"
	note "config changes against Debian's $(debian_version) $arch config:"
	cat "$out/debian-config.diff" >&2
	arch_args "$arch" "$tree" "$out"
	note "building $arch with Debian's config in $out (hours on 2 cores)"
	(kbuild_lock && kmake all)
	flavour="Debian's $arch config from linux-config-6.12 $(debian_version) + configs/debian.config: $(tr '\n' ' ' <"$out/debian-config.diff" | sed 's/ *$//')"
	;;
*) die "CONFIG=$cfg: use small or debian" ;;
esac
FLAVOUR=$flavour "$TOP/scripts/package.sh" "$arch" "$tree" "$out" \
	"$BUILD/deb/$cfg-$arch"
