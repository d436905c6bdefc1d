#!/bin/bash
# make stress / make soak: boot the x86_64 debug guest (KASAN, lockdep,
# kmemleak; teesim built in with enforcement, the kernel make check builds)
# and run tee_stress (selftests/tee) there for DURATION seconds with SEED
# and THREADS; with SOAK=1 the tee_races kselftest runs in a loop beside
# it (as on a board: TEE= and HEAP= set, so that it does not count
# teesim's statistics, which tee_stress shares; tee_stress checks them
# once both are done).  Then kmemleak is scanned.  A splat, a leak or an unexpected outcome
# fails; the console is build/logs/stress-console.log.
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
	[ "${SOAK:-0}" != 0 ] || churn="-m ${RELOAD:-5}"
fi

cmd="cd /kselftest/tee"
if [ "${SOAK:-0}" != 0 ]; then
	cmd="$cmd; end=\$((\$(date +%s) + $duration)); (n=0; while [ \$(date +%s) -lt \$end ]; do TEE=/dev/tee0 HEAP=protected,secure-video:protected,trusted-ui ./tee_races >/tmp/races.log 2>&1 || { echo 'RIG: tee_races failed:'; sed 's/^/races: /' /tmp/races.log; exit 1; }; n=\$((n + 1)); done; echo \"RIG: tee_races ran \$n times\") & races=\$!"
fi
if [ "${SOAK:-0}" = 0 ]; then
	cmd="$cmd; ./tee_stress -s $seed -t $duration -j $threads $churn; rc=\$?"
else
	cmd="$cmd; ./tee_stress -n -s $seed -t $duration -j $threads $churn; rc=\$?"
	cmd="$cmd; wait \$races || rc=1; ./tee_stress -t 0 || rc=1"
fi
cmd="$cmd; sleep 6; echo scan >/sys/kernel/debug/kmemleak; echo scan >/sys/kernel/debug/kmemleak; cat /sys/kernel/debug/kmemleak; exit \$rc"

"$TOP/scripts/build.sh" "$arch" "$BUILD/tree" "$out"
GUEST_CMD=$cmd "$TOP/scripts/initramfs.sh" "$arch" "$BUILD/tree" "$out"
LABEL=$label BOOT_ARGS=$boot_args TIMEOUT=$((duration + 900)) QUIET=1 \
	"$TOP/scripts/qemu.sh" "$arch" cmd "$out" || true
log=$BUILD/logs/$label-console.log
grep -E '^# (tee_stress|unexpected|leak)|^# [a-z_]+ +[0-9]+$|^RIG: tee_races' "$log" || true
"$TOP/scripts/results.sh" "$label" "$log"
