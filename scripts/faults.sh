#!/bin/bash
# make faults: boot the ARCH debug guest (x86_64: teesim built in with
# enforcement; arm64: modular) and run only tee_faults (selftests/tee),
# the fault sweep, with every injected fault listed; then kmemleak is
# scanned.  Prints the per-scenario summaries and the totals; a splat, a
# leak or an unexpected outcome fails.  The console is
# build/logs/faults[-ARCH]-console.log.
# Env: ARCH (x86_64).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

arch=${ARCH:-x86_64}
out=$BUILD/out/$arch
label=faults
boot_args="teesim.enforce=1"
if [ "$arch" != x86_64 ]; then
	label=$label-$arch
	boot_args=
fi

cmd="cd /kselftest; TEE_FAULTS_VERBOSE=1 ./run_kselftest.sh -t tee:tee_faults; rc=\$?"
cmd="$cmd; sleep 6; echo scan >/sys/kernel/debug/kmemleak; echo scan >/sys/kernel/debug/kmemleak; cat /sys/kernel/debug/kmemleak; exit \$rc"

"$TOP/scripts/build.sh" "$arch" "$BUILD/tree" "$out"
GUEST_CMD=$cmd "$TOP/scripts/initramfs.sh" "$arch" "$BUILD/tree" "$out"
LABEL=$label BOOT_ARGS=$boot_args TIMEOUT=1800 QUIET=1 \
	"$TOP/scripts/qemu.sh" "$arch" cmd "$out" || true
log=$BUILD/logs/$label-console.log
grep -E '^# # [a-z_]+ on [^ ]+: [0-9]+ ' "$log" || true
sed -n 's/^# # faults: [a-z_]*: \([0-9]*\) injected, \([0-9]*\) unexpected$/\1 \2/p' "$log" |
	awk '{ n += $1; u += $2 }
	END { printf ">>> tee_faults: %d faults injected, %d unexpected\n", n, u }'
"$TOP/scripts/results.sh" "$label" "$log"
