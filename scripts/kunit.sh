#!/bin/bash
# Run the series' KUnit suites (every .kunitconfig the series adds under
# drivers/tee) with the kernel's kunit.py under QEMU.  Writes "P F S" to
# build/logs/kunit.counts.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

tree=${1:-$BUILD/tree}
arch=${KUNIT_ARCH:-x86_64}
log=$BUILD/logs/kunit.log
mkdir -p "$BUILD/logs"
mapfile -t cfgs < <(cd "$tree" && find drivers/tee -name .kunitconfig | sort)
if [ "${#cfgs[@]}" = 0 ]; then
	note "the series has no KUnit suite (no drivers/tee/**/.kunitconfig)"
	echo "0 0 0" >"$log.counts"
	exit 0
fi
args=()
for c in "${cfgs[@]}"; do args+=(--kunitconfig "$c"); done
[ "$arch" != arm64 ] || args+=(--cross_compile aarch64-linux-gnu-)

kbuild_lock
export CCACHE_DIR=${CCACHE_DIR:-$BUILD/ccache}
note "kunit.py ($arch): ${cfgs[*]}"
set +e
(cd "$tree" && /usr/bin/python3 tools/testing/kunit/kunit.py run \
	--arch="$arch" --build_dir="$BUILD/kunit-$arch" --jobs="$(nproc)" \
	--timeout=900 --make_options CC="ccache gcc" "${args[@]}") 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
sum=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E 'Testing complete\. Ran [0-9]+ tests' | tail -n1)
pass=$(sed -n 's/.*passed: \([0-9]*\).*/\1/p' <<<"$sum")
fail=$(sed -n 's/.*failed: \([0-9]*\).*/\1/p' <<<"$sum")
skip=$(sed -n 's/.*skipped: \([0-9]*\).*/\1/p' <<<"$sum")
crash=$(sed -n 's/.*crashed: \([0-9]*\).*/\1/p' <<<"$sum")
fail=$(( ${fail:-0} + ${crash:-0} ))
[ -n "$sum" ] || fail=$((fail + 1))
[ "$rc" = 0 ] || [ "$fail" != 0 ] || fail=1
echo "${pass:-0} $fail ${skip:-0}" >"$log.counts"
echo "kunit: ${pass:-0} passed, $fail failed, ${skip:-0} skipped"
[ "$fail" = 0 ]
