#!/bin/bash
# Unpack Debian's linux-source-6.12 once per package version; print the version.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ -r "$TARBALL" ] || die "$TARBALL missing: run 'make deps'"
dir=$(pristine_dir)
if [ ! -f "$dir/.unpacked" ]; then
	note "unpacking $TARBALL ($(debian_version))"
	rm -rf "$(dirname "$dir")"
	mkdir -p "$(dirname "$dir")"
	tar -C "$(dirname "$dir")" -xJf "$TARBALL"
	touch "$dir/.unpacked"
fi
echo "linux-source-6.12 $(debian_version) ($(make -s -C "$dir" kernelversion)) in $dir"
