#!/bin/bash
# Series hygiene: series <-> patches/, fuzz-0 application, checkpatch
# --strict (0/0/0 but for the exceptions in checkpatch.exceptions), the
# selftest patch in sync with selftests/tee, shellcheck.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

tree=$BUILD/tree
bad=0
fail() {
	echo "lint: $*" >&2
	bad=1
}

listed=$(grep -Ev '^[[:space:]]*(#|$)' "$TOP/series" | awk '{print $1}' | sort)
present=$(cd "$TOP/patches" && find . -maxdepth 1 -type f -printf '%f\n' | sort)
for p in $(comm -13 <(echo "$listed") <(echo "$present")); do
	fail "patches/$p is not in series"
done
for p in $(comm -23 <(echo "$listed") <(echo "$present")); do
	fail "series lists $p, which is not in patches/"
done
[ "$(echo "$listed" | uniq -d)" = "" ] || fail "series lists a patch twice"

"$TOP/scripts/apply.sh" "$tree" || fail "the series does not apply with fuzz 0"

# checkpatch exceptions: "<patch> <TYPE> <reason>" lines.
exceptions=$TOP/checkpatch.exceptions
ordered=$(grep -Ev '^[[:space:]]*(#|$)' "$TOP/series" | awk '{print $1}')
for p in $ordered; do
	[ -f "$TOP/patches/$p" ] || continue
	grep -q '^Signed-off-by: ' "$TOP/patches/$p" || fail "$p: no Signed-off-by"
	grep -q '^Subject: ' "$TOP/patches/$p" || fail "$p: no Subject"
	ignore=$(awk -v p="$p" '$1 == p { printf "%s,", $2 }' "$exceptions" 2>/dev/null || true)
	out=$(cd "$tree" && ./scripts/checkpatch.pl --strict --show-types -q \
		--no-summary ${ignore:+--ignore "${ignore%,}"} "$TOP/patches/$p" 2>&1) ||
		true
	[ -z "$out" ] || { echo "$out" >&2; fail "$p: checkpatch --strict is not clean"; }
done

sp=$TOP/patches/selftests-tee-add-protected-DMA-heap-tests.patch
if [ -f "$sp" ]; then
	tmp=$(mktemp)
	"$TOP/scripts/selftest-patch.sh" "$tmp"
	cmp -s "$tmp" "$sp" || { diff -u "$sp" "$tmp" | head -n 40 >&2;
		fail "selftests/tee and $(basename "$sp") differ: run 'make selftest-patch'"; }
	rm -f "$tmp"
fi

(cd "$TOP" && shellcheck scripts/*.sh scripts/guest-init scripts/timeout-wrapper .ci/run) ||
	fail "shellcheck is not clean"
[ "$bad" = 0 ] && note "lint: clean ($(echo "$listed" | grep -c . || true) patches)"
exit $bad
