#!/bin/bash
# dpkg-buildpackage --hook-init of package.sh, run in the kernel's output
# directory: replace bindeb-pkg's "Custom built Linux kernel." changelog
# entry by one that names the base and the series.
# Env: SERIES_TOP (the repository), FLAVOUR.
set -euo pipefail

top=${SERIES_TOP:?}
n=$(grep -cv '^\s*\(#\|$\)' "$top/series")
base=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || echo unknown)
rev=$(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown)
entry=$(mktemp)
cat >"$entry" <<EOT
  * Linux $(sed -n 's/^KERNELRELEASE := //p' debian/rules.vars) from Debian's
    linux-source-6.12 $base with the TEE protected DMA-heap series
    ($n patches, tee-protmem $rev): protected DMA heaps of TEE drivers,
    TEE_IOC_SHM_REGISTER_FD, OP-TEE protected memory (SMC and FF-A).
  * Config: ${FLAVOUR:-as configured}.
EOT
sed -i -e "/^  \* Custom built Linux kernel\.$/{r $entry" -e 'd}' debian/changelog
rm -f "$entry"
grep -q 'TEE protected DMA-heap series' debian/changelog
