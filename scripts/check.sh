#!/bin/bash
# The full gate: lint, then build + boot + kselftests on every arch, then
# KUnit.  One kernel per arch, booted once per guest below.  Lint, a build or an initramfs that breaks counts as one failure; the last line is the
# totals over every TAP result: "N passed, N failed, N skipped".
set -euo pipefail
. "$(dirname "$0")/lib.sh"

arches=${ARCHES:-x86_64 arm64}
# Guests: "LABEL ARCH [kernel parameters...]".  x86_64 has teesim built in
# and runs the suites with protected pages out of the linear map, then the
# tee suite again as on a board (TEE= and HEAP= set: no teesim statistics,
# teesim-only tests skip) with every DMA bounced through swiotlb (the
# dmabuf-heaps suite imports 1 MiB segments, more than swiotlb can
# bounce); arm64 loads teesim as a module.
guests=(
	"x86_64 x86_64 teesim.enforce=1"
	"x86_64-board x86_64 swiotlb=force rig.tests=tee rig.env.TEE=/dev/tee0 rig.env.HEAP=protected,secure-video:protected,trusted-ui"
	"arm64 arm64"
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
for a in $arches; do
	step "build $a" "$TOP/scripts/build.sh" "$a" || continue
	step "initramfs $a" "$TOP/scripts/initramfs.sh" "$a" || continue
	for g in "${guests[@]}"; do
		read -r label garch args <<<"$g"
		[ "$garch" = "$a" ] || continue
		rm -f "$logs/$label-console.log"
		# A guest that dies or hangs is counted by results.sh.
		LABEL=$label BOOT_ARGS=${args:-} QUIET=1 \
			"$TOP/scripts/qemu.sh" "$a" tests || true
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
