#!/bin/bash
# Debian binary kernel packages (bindeb-pkg) of the patched tree for x86_64.
# CONFIG=small (default): the test guest's config without the debug options.
# CONFIG=debian: Debian's own amd64 config plus our fragment (hours on 2 cores).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

cfg=${CONFIG:-small}
tree=$BUILD/tree
dir=$BUILD/deb/$cfg
out=$dir/obj
mkdir -p "$out"
case "$cfg" in
small)
	DEBUG=0 "$TOP/scripts/build.sh" x86_64 "$tree" "$out"
	;;
debian)
	src=/usr/src/linux-config-6.12/config.amd64_none_amd64.xz
	[ -r "$src" ] || die "$src missing: run 'make deps'"
	kbuild_lock
	xzcat "$src" >"$out/.config"
	(cd "$out" && "$tree/scripts/kconfig/merge_config.sh" -m -O "$out" \
		"$out/.config" "$TOP/configs/tee-protmem.config" >/dev/null)
	make -s -C "$tree" O="$out" olddefconfig
	"$TOP/scripts/check-config.sh" "$out/.config" "$TOP/configs/tee-protmem.config"
	exec 9>&-
	;;
*) die "CONFIG=$cfg: use small or debian" ;;
esac
kbuild_lock
export CCACHE_DIR=${CCACHE_DIR:-$BUILD/ccache}
make -s -C "$tree" O="$out" CC="ccache gcc" -j"$(nproc)" \
	LOCALVERSION=-tee-protmem bindeb-pkg
note "packages in $dir:"
ls -1 "$dir"/*.deb
