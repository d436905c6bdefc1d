#!/bin/bash
# Unpack the linux-image package in DEBDIR into ROOT (dpkg -x), as installing
# it would lay it out, and check that it holds one kernel and its modules
# directory.  The guests then boot ROOT/boot/vmlinuz-* with ROOT/lib/modules.
# Usage: deb-unpack.sh DEBDIR ROOT
set -euo pipefail
. "$(dirname "$0")/lib.sh"

debdir=${1:?DEBDIR}
root=${2:?ROOT}
debs=()
for d in "$debdir"/linux-image-*.deb; do
	[[ "$d" == *-dbg_* ]] || debs+=("$d")
done
if [ "${#debs[@]}" != 1 ] || [ ! -f "${debs[0]}" ]; then
	die "not one linux-image package in $debdir"
fi
rm -rf "$root"
dpkg-deb -x "${debs[0]}" "$root"
rel=$(dpkg-deb -f "${debs[0]}" Package | sed 's/^linux-image-//')
[ -f "$root/boot/vmlinuz-$rel" ] || die "${debs[0]##*/} has no /boot/vmlinuz-$rel"
[ -f "$root/lib/modules/$rel/modules.dep" ] ||
	die "${debs[0]##*/} has no /lib/modules/$rel/modules.dep"
note "unpacked ${debs[0]##*/}: $(find "$root/lib/modules/$rel" -name '*.ko*' | wc -l) modules"
