#!/bin/bash
# Run the series' KUnit suites (every .kunitconfig under drivers/tee) with
# the kernel's kunit.py under QEMU: the OP-TEE ones on arm64 (OP-TEE is
# Arm only), the others on x86_64.  Writes "P F S" to build/logs/kunit.log.counts.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

tree=${1:-$BUILD/tree}
log=$BUILD/logs/kunit.log
mkdir -p "$BUILD/logs"
: >"$log"
mapfile -t cfgs < <(cd "$tree" && find drivers/tee -name .kunitconfig | sort)
if [ "${#cfgs[@]}" = 0 ]; then
	note "the series has no KUnit suite (no drivers/tee/**/.kunitconfig)"
	echo "0 0 0" >"$log.counts"
	exit 0
fi

export CCACHE_DIR=${CCACHE_DIR:-$BUILD/ccache}
pass=0 fail=0 skip=0
for arch in x86_64 arm64; do
	args=()
	for c in "${cfgs[@]}"; do
		want=x86_64
		case "$c" in */optee/*) want=arm64 ;; esac
		[ "$want" != "$arch" ] || args+=(--kunitconfig "$c")
	done
	[ "${#args[@]}" -gt 0 ] || continue
	cc=gcc
	if [ "$arch" = arm64 ]; then
		args+=(--cross_compile aarch64-linux-gnu-)
		cc=aarch64-linux-gnu-gcc
	fi
	note "kunit.py on $arch: ${args[*]}"
	set +e
	(kbuild_lock && cd "$tree" && /usr/bin/python3 tools/testing/kunit/kunit.py \
		run --arch="$arch" --build_dir="$BUILD/kunit-$arch" \
		--jobs="$(nproc)" --timeout=900 --make_options CC="ccache $cc" \
		"${args[@]}") 2>&1 | sed 's/\x1b\[[0-9;]*m//g' | tee "$log.$arch" |
		if [ -n "${QUIET:-}" ]; then cat >/dev/null; else cat; fi
	rc=${PIPESTATUS[0]}
	set -e
	cat "$log.$arch" >>"$log"
	sum=$(grep -E 'Testing complete\. Ran [0-9]+ tests' "$log.$arch" | tail -n1)
	p=$(sed -n 's/.*passed: \([0-9]*\).*/\1/p' <<<"$sum")
	f=$(sed -n 's/.*failed: \([0-9]*\).*/\1/p' <<<"$sum")
	s=$(sed -n 's/.*skipped: \([0-9]*\).*/\1/p' <<<"$sum")
	c=$(sed -n 's/.*crashed: \([0-9]*\).*/\1/p' <<<"$sum")
	f=$(( ${f:-0} + ${c:-0} ))
	# No summary, or kunit.py failed without a failing case: one failure.
	if [ -z "$sum" ] || { [ "$rc" != 0 ] && [ "$f" = 0 ]; }; then
		grep -E 'ERROR|error:' "$log.$arch" | head -n 20 >&2 || true
		f=$((f + 1))
	fi
	echo "kunit $arch: ${p:-0} passed, $f failed, ${s:-0} skipped"
	pass=$((pass + ${p:-0})) fail=$((fail + f)) skip=$((skip + ${s:-0}))
done
echo "$pass $fail $skip" >"$log.counts"
echo "kunit: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
