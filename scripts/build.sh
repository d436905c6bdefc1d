#!/bin/bash
# Configure and build the kernel of TREE for ARCH out of tree, with ccache.
# Usage: build.sh ARCH [TREE] [OUT]
# Fragments: configs/base-ARCH, tee-protmem, debug and debug-ARCH, every kselftest config
# of the suites we run, then tee-protmem-ARCH and FRAGS, which override the
# earlier ones (x86_64 builds teesim in).  A symbol that Kconfig drops is an
# error.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

arch_args "$@"

frags=("$TOP/configs/base-$arch.config" "$TOP/configs/tee-protmem.config")
[ "${DEBUG:-1}" = 0 ] || frags+=("$TOP/configs/debug.config")
[ "${DEBUG:-1}" = 0 ] || [ ! -f "$TOP/configs/debug-$arch.config" ] ||
	frags+=("$TOP/configs/debug-$arch.config")
for t in $SELFTESTS; do
	[ ! -f "$tree/tools/testing/selftests/$t/config" ] ||
		frags+=("$tree/tools/testing/selftests/$t/config")
done
[ ! -f "$TOP/configs/tee-protmem-$arch.config" ] ||
	frags+=("$TOP/configs/tee-protmem-$arch.config")
# shellcheck disable=SC2206 # FRAGS is a list of files
frags+=(${FRAGS:-})

kbuild_lock
mkdir -p "$out"
# Regenerate .config only when a fragment changed, to keep builds warm.
stamp="$out/.rig-config"
want=$(cat "${frags[@]}" | sha256sum)
if [ ! -f "$out/.config" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
	note "configuring $arch: ${frags[*]##*/}"
	kmake tinyconfig >/dev/null
	(cd "$out" && "$tree/scripts/kconfig/merge_config.sh" -m -O "$out" \
		"$out/.config" "${frags[@]}" >/dev/null)
	kmake olddefconfig >/dev/null
	[ "${CHECK_CONFIG:-1}" = 0 ] ||
		"$TOP/scripts/check-config.sh" "$out/.config" "${frags[@]}"
	echo "$want" >"$stamp"
fi
note "building $arch in $out"
kmake ${W:+W=$W} ${C:+C=$C} all
if grep -q '^CONFIG_MODULES=y' "$out/.config"; then
	rm -rf "$out/modinst"
	kmake INSTALL_MOD_PATH="$out/modinst" modules_install >/dev/null
fi
note "built $(make -s -C "$tree" kernelversion) for $arch: $out/$(kmake image_name)"
