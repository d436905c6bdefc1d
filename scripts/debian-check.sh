#!/bin/bash
# The Debian-config compile check: configure Debian's own config for ARCH
# plus configs/debian.config (debian-configure.sh) in build/out/debian-ARCH
# and build the directories the series touches, with W=1 and sparse.  A
# warning in a file the series touches fails.  The full Debian build stays
# `make deb CONFIG=debian`, which shares this output directory.
# Usage: debian-check.sh ARCH [TREE]
set -euo pipefail
. "$(dirname "$0")/lib.sh"

arch_args "$1" "${2:-}" "$BUILD/out/debian-$1"
export LOCALVERSION=-protmem
dirs=(drivers/tee/ drivers/dma-buf/)
"$TOP/scripts/debian-configure.sh" "$arch" "$tree" "$out"

kbuild_lock
log=$out/debian-check.log
set +e
kmake W=1 C=1 "${dirs[@]}" >"$log" 2>&1
rc=$?
set -e
# Files the series adds or changes.
touched=$(sed -n 's|^+++ b/||p' "$TOP"/patches/*.patch | sed 's/\t.*//' |
	grep -v '^tools/\|^Documentation/' | sort -u)
bad=$(grep -E '(warning|error):' "$log" | grep -F "$touched" || true)
if [ "$rc" != 0 ] || [ -n "$bad" ]; then
	cat "$log" >&2
	# Build them again next time, so that the warnings show again.
	find "$out/drivers/tee" "$out/drivers/dma-buf" -name '*.o' -delete
	die "$arch with Debian's config: ${dirs[*]} do not build cleanly (W=1 C=1)"
fi
note "$arch with Debian's config: ${dirs[*]} build with W=1 and sparse, no warning in the series' files"
