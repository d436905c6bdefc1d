#!/bin/sh
# shellcheck shell=dash
# Guest side of make stress / make soak (busybox sh, in /extra).
# Usage: stress.sh SECONDS SEED THREADS RELOAD SOAK
# tee_stress for SECONDS with SEED and THREADS (RELOAD > 0: reload teesim
# that often).  SOAK=1: the tee_races kselftest and the tee_faults sweep
# loop beside it until the time is up, as on a board (TEE= and HEAP= set:
# they do not count teesim's statistics, which tee_stress shares, and
# tee_faults fails slab and page allocations only); tee_stress checks for
# leaks once all are done.  Then kmemleak is scanned.  Lines starting with
# RIG: are read by the host.
secs=$1 seed=$2 threads=$3 reload=$4 soak=$5
end=$(($(date +%s) + secs))
cd /kselftest/tee || exit 1

# Run the kselftest $1 (as on a board) in a loop until the end; print how
# often, and how many faults it injected (tee_faults)
loop() {
	name=$1 n=0 faults=0
	while [ "$(date +%s)" -lt "$end" ]; do
		if ! TEE=/dev/tee0 HEAP=protected,secure-video:protected,trusted-ui \
			"./$name" >"/tmp/$name.log" 2>&1; then
			echo "RIG: $name failed:"
			sed "s/^/$name: /" "/tmp/$name.log"
			return 1
		fi
		n=$((n + 1))
		faults=$((faults + $(sed -n 's/^# faults: [a-z_]*: \([0-9]*\) injected.*/\1/p' \
			"/tmp/$name.log" | awk '{ s += $1 } END { print s + 0 }')))
	done
	echo "RIG: $name ran $n times, $faults faults injected"
}

rc=0
if [ "$soak" = 1 ]; then
	loop tee_races & races=$!
	loop tee_faults & faults=$!
	./tee_stress -n -s "$seed" -t "$secs" -j "$threads" || rc=1
	wait "$races" || rc=1
	wait "$faults" || rc=1
	./tee_stress -t 0 || rc=1
elif [ "$reload" -gt 0 ]; then
	./tee_stress -s "$seed" -t "$secs" -j "$threads" -m "$reload" || rc=1
else
	./tee_stress -s "$seed" -t "$secs" -j "$threads" || rc=1
fi
sleep 6
echo scan >/sys/kernel/debug/kmemleak
echo scan >/sys/kernel/debug/kmemleak
cat /sys/kernel/debug/kmemleak
exit $rc
