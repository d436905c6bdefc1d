#!/bin/bash
# make stress / make soak: boot the x86_64 debug guest (KASAN, lockdep,
# kmemleak; teesim built in with enforcement, the kernel make check builds)
# and run tee_stress (selftests/tee) there for DURATION seconds with SEED
# and THREADS; with SOAK=1 the tee_races kselftest and the tee_faults sweep
# run in loops beside it (as on a board: TEE= and HEAP= set, so that they
# do not count teesim's statistics, which tee_stress shares; tee_stress
# checks them once all are done).  Then kmemleak is scanned.  A splat, a
# leak or an unexpected outcome fails; the console is
# build/logs/stress-console.log (soak-console.log).
# ARCH=arm64 uses the modular arm64 guest instead (no enforcement, teesim
# is a module): there tee_stress also unloads and reloads teesim every
# RELOAD seconds (default 5; 0: never; not with SOAK) and tries to unload
# it while in use.
# Env: DURATION (s, default 60), SEED (default: the time), THREADS (4),
# SOAK, ARCH (x86_64), RELOAD.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

duration=${DURATION:-60}
seed=${SEED:-$(date +%s)}
threads=${THREADS:-4}
arch=${ARCH:-x86_64}
out=$BUILD/out/$arch
label=stress
[ "${SOAK:-0}" = 0 ] || label=soak
boot_args="teesim.enforce=1"
churn=
if [ "$arch" != x86_64 ]; then
	label=$label-$arch
	boot_args=
	# Not beside tee_races (SOAK): its contexts would keep teesim loaded
	[ "${SOAK:-0}" != 0 ] || churn=${RELOAD:-5}
fi

# The guest side is scripts/guest/stress.sh, in /extra
cmd="sh /extra/stress.sh $duration $seed $threads ${churn:-0} ${SOAK:-0}"

"$TOP/scripts/build.sh" "$arch" "$BUILD/tree" "$out"
EXTRA=$TOP/scripts/guest GUEST_CMD=$cmd \
	"$TOP/scripts/initramfs.sh" "$arch" "$BUILD/tree" "$out"
LABEL=$label BOOT_ARGS=$boot_args TIMEOUT=$((duration + 900)) QUIET=1 \
	"$TOP/scripts/qemu.sh" "$arch" cmd "$out" || true
log=$BUILD/logs/$label-console.log
grep -E '^# (tee_stress|unexpected|leak)|^# [a-z_]+ +[0-9]+$|^RIG: tee_(races|faults)' "$log" || true
"$TOP/scripts/results.sh" "$label" "$log"
