#!/bin/bash
# make bench: build the x86_64 guest kernel without debug options and with a
# nanosecond clock (configs/bench.config) in build/out/bench-x86_64, boot it
# with enough CMA for 4K frames and a TSC clocksource (tsc=reliable: TCG
# offers no clock to verify it against) and run tee_bench (selftests/tee) there,
# once, so that every ratio is measured in the same boot.  The table is in
# build/logs/bench-console.log and build/bench.txt.
# Env: BOOT_ARGS (more kernel parameters, e.g. teesim's module parameters).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=$BUILD/out/bench-x86_64
DEBUG=0 FRAGS="$TOP/configs/bench.config" \
	"$TOP/scripts/build.sh" x86_64 "$BUILD/tree" "$out"
GUEST_CMD=/kselftest/tee/tee_bench "$TOP/scripts/initramfs.sh" x86_64 \
	"$BUILD/tree" "$out"
LABEL=bench BOOT_ARGS="cma=768M tsc=reliable${BOOT_ARGS:+ $BOOT_ARGS}" QUIET=1 \
	"$TOP/scripts/qemu.sh" x86_64 cmd "$out"
log=$BUILD/logs/bench-console.log
grep -q '^RIG: guest-cmd exit=0' "$log" || {
	grep -E '^(# )?tee_bench|^# ' "$log" >&2 || true
	die "tee_bench did not report (see $log)"
}
sed -n '/^# tee_bench/,/^RIG: guest-cmd/p' "$log" | grep -v '^RIG:' |
	tee "$BUILD/bench.txt"
