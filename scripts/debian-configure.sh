#!/bin/bash
# Configure OUT with Debian's own config for ARCH (debian-config.sh) plus
# configs/debian.config, check that every fragment symbol took and that TEE
# (and OP-TEE on arm64) are modules, and write the difference to Debian's
# config (both through olddefconfig) to OUT/debian-config.diff.
# Usage: debian-configure.sh ARCH [TREE] [OUT]
set -euo pipefail
. "$(dirname "$0")/lib.sh"

arch_args "$@"
deb=$("$TOP/scripts/debian-config.sh" "$arch")
frag=$TOP/configs/debian.config

kbuild_lock
mkdir -p "$out"
stamp="$out/.rig-config"
want=$(cat "$deb" "$frag" | sha256sum)
if [ -f "$out/.config" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
	exit 0
fi
note "configuring $arch: Debian's ${deb##*/} + ${frag##*/}"
# Debian's config alone, for the difference.
xzcat "$deb" >"$out/.config"
kmake olddefconfig >/dev/null
mv "$out/.config" "$out/debian.config"
xzcat "$deb" >"$out/.config"
(cd "$out" && "$tree/scripts/kconfig/merge_config.sh" -m -O "$out" \
	"$out/.config" "$frag" >/dev/null)
kmake olddefconfig >/dev/null
"$TOP/scripts/check-config.sh" "$out/.config" "$frag"
mods="TEE"
[ "$arch" != arm64 ] || mods="$mods OPTEE"
for m in $mods; do
	grep -qx "CONFIG_$m=m" "$out/.config" || die "CONFIG_$m is not a module in $out/.config"
done
"$tree/scripts/diffconfig" "$out/debian.config" "$out/.config" >"$out/debian-config.diff"
echo "$want" >"$stamp"
