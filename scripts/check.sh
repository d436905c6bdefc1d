#!/bin/bash
# The full gate: lint, then build + boot + kselftests on every arch and
# on the upstream tree, then KUnit.  One kernel per arch, booted once per guest below.  Lint, a build or an initramfs that breaks counts as one failure; the last line is the
# totals over every TAP result: "N passed, N failed, N skipped".
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# Kernels: "LABEL ARCH TREE".  The 6.12 tree and the upstream one (the
# upstream series on the mainline-based tree, both applied by lint).
# BUILDS selects kernels by label (ARCHES=... picks 6.12 arches).
kernels=(
	"x86_64 x86_64 $BUILD/tree"
	"arm64 arm64 $BUILD/tree"
	"upstream-x86_64 x86_64 $BUILD/upstream-tree"
)
builds=${BUILDS:-${ARCHES:-x86_64 arm64} upstream-x86_64}
# Guests: "LABEL KERNEL [kernel parameters...]".  x86_64 has teesim built in
# and runs the suites with protected pages out of the linear map, then the
# tee suite again as on a board (TEE= and HEAP= set: no teesim statistics,
# teesim-only tests skip) with every DMA bounced through swiotlb (the
# dmabuf-heaps suite imports 1 MiB segments, more than swiotlb can
# bounce); arm64 loads teesim as a module; the upstream kernel runs the
# suites like x86_64.
guests=(
	"x86_64 x86_64 teesim.enforce=1"
	"x86_64-board x86_64 swiotlb=force rig.tests=tee rig.env.TEE=/dev/tee0 rig.env.HEAP=protected,secure-video:protected,trusted-ui"
	"arm64 arm64"
	"upstream-x86_64 upstream-x86_64 teesim.enforce=1"
)
logs=$BUILD/logs
mkdir -p "$logs"
rm -f "$logs"/*.counts
extra_fail=0
step() {
	local what=$1
	shift
	local t0=$SECONDS
	if "$@"; then
		note "$what: ok ($((SECONDS - t0)) s)"
	else
		note "$what: FAILED ($((SECONDS - t0)) s)"
		extra_fail=$((extra_fail + 1))
		return 1
	fi
}

step lint "$TOP/scripts/lint.sh" || true
for k in "${kernels[@]}"; do
	read -r klabel a tree <<<"$k"
	[[ " $builds " == *" $klabel "* ]] || continue
	out=$BUILD/out/$klabel
	step "build $klabel" "$TOP/scripts/build.sh" "$a" "$tree" "$out" || continue
	step "initramfs $klabel" "$TOP/scripts/initramfs.sh" "$a" "$tree" "$out" || continue
	for g in "${guests[@]}"; do
		read -r label kernel args <<<"$g"
		[ "$kernel" = "$klabel" ] || continue
		rm -f "$logs/$label-console.log"
		# A guest that dies or hangs is counted by results.sh.
		LABEL=$label BOOT_ARGS=${args:-} QUIET=1 \
			"$TOP/scripts/qemu.sh" "$a" tests "$out" || true
		grep -E '^(not )?ok [0-9]+ selftests: ' "$logs/$label-console.log" || true
		"$TOP/scripts/results.sh" "$label" "$logs/$label-console.log" || true
	done
done
QUIET=1 "$TOP/scripts/kunit.sh" || true

read -r pass fail skip < <(cat "$logs"/*.counts 2>/dev/null |
	awk '{ p += $1; f += $2; s += $3 } END { print p + 0, f + 0, s + 0 }')
fail=$((fail + extra_fail))
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
