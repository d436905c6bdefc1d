#!/bin/bash
# The package test: build the small package of ARCH (deb.sh), unpack its
# linux-image .deb, boot the kernel and modules it holds in QEMU and run the
# kselftests there.  make check does the same for both arches' guests.
# Usage: deb-test.sh [ARCH]
set -euo pipefail
. "$(dirname "$0")/lib.sh"

arch=${1:-x86_64}
out=$BUILD/out/$arch
CONFIG=small "$TOP/scripts/deb.sh" "$arch"
"$TOP/scripts/deb-unpack.sh" "$BUILD/deb/small-$arch" "$out/pkg-root"
export PKG_ROOT=$out/pkg-root
"$TOP/scripts/initramfs.sh" "$arch" "$BUILD/tree" "$out"
args=
[ "$arch" != arm64 ] || args="rig.tests=tee,dmabuf-heaps"
LABEL=deb-$arch BOOT_ARGS="$args${BOOT_ARGS:+ $BOOT_ARGS}" \
	"$TOP/scripts/qemu.sh" "$arch" tests "$out"
"$TOP/scripts/results.sh" "deb-$arch" "$BUILD/logs/deb-$arch-console.log"
