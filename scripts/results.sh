#!/bin/bash
# Read a guest console log: count the TAP results (kselftest's nested TAP,
# one result per test case) and find kernel splats.  Writes "P F S" to
# LOG.counts, prints a summary line, exits 1 on a failure or a splat.
# Usage: results.sh LABEL LOG
set -euo pipefail

label=${1:?LABEL}
log=${2:?LOG}
[ -f "$log" ] || { echo "error: no console log $log" >&2; exit 1; }

# Kernel splats: a WARN, BUG, Oops, KASAN/UBSAN report, lockdep, kmemleak,
# hung task or RCU stall anywhere in the console fails the run.
splat_re='^(\[ *[0-9.]+\] )?(WARNING:|BUG:|Oops|Internal error:|Unable to handle kernel|general protection fault|kernel BUG at|Kernel panic|UBSAN:|unreferenced object|INFO: task .* blocked for more than|INFO: rcu_|rcu: INFO:|.*kmemleak: [0-9]+ new suspected memory leaks)'
splats=$(grep -nE "$splat_re" "$log" || true)
if [ -n "$splats" ]; then
	echo "error: $label: kernel splat in $log:" >&2
	first=$(head -n1 <<<"$splats" | cut -d: -f1)
	sed -n "$((first > 5 ? first - 5 : 1)),$((first + 40))p" "$log" >&2
fi

read -r pass fail skip < <(awk '
	/^\[ *[0-9.]+\]/ { next }			# kernel messages
	/^1\.\.[0-9]+/ { plan += substr($0, 4) + 0; next }
	/^(not )?ok [0-9]+ selftests: / {		# one kselftest program
		top++
		if ($1 == "not" && !sub_fail) {
			print "error: " $0 > "/dev/stderr"; fail++
		} else if (!sub_any) {
			if ($0 ~ /# SKIP/) skip++; else if ($1 == "ok") pass++
		}
		sub_any = 0; sub_fail = 0; next
	}
	/^# (not )?ok [0-9]+/ {				# one test case
		sub_any = 1
		if ($2 == "not") { print "error: " $0 > "/dev/stderr"; fail++; sub_fail = 1 }
		else if ($0 ~ /# SKIP/) skip++
		else pass++
		next
	}
	/^RIG: guest-cmd exit=/ {
		rc = substr($0, 21) + 0
		if (rc) { print "error: GUEST_CMD exited " rc > "/dev/stderr"; fail++ } else pass++
	}
	/^RIG: tee_stress exit=/ {			# rig.stress=
		rc = substr($0, 22) + 0
		if (rc == 4) skip++
		else if (rc) { print "error: tee_stress exited " rc > "/dev/stderr"; fail++ }
		else pass++
	}
	/^RIG: kselftest done/ { done = 1 }
	END {
		if (plan > top) {
			print "error: " plan - top " kselftest programs reported nothing" > "/dev/stderr"
			fail += plan - top
		}
		if (want_tests && !done) { print "error: the kselftests did not finish" > "/dev/stderr"; fail++ }
		print pass + 0, fail + 0, skip + 0
	}' want_tests="$(grep -qE '^RIG: guest up.*mode tests' "$log" && echo 1)" "$log")

[ -z "$splats" ] || fail=$((fail + 1))
echo "$pass $fail $skip" >"$log.counts"
echo "$label: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
