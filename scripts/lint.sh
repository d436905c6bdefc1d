#!/bin/bash
# Series hygiene, for the 6.12 series and the upstream one: series <->
# patches, fuzz-0 application, checkpatch --strict (0/0/0 but for the
# exceptions in checkpatch.exceptions and upstream/checkpatch.exceptions),
# the generated patches in sync with their sources, shellcheck.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

bad=0
fail() {
	echo "lint: $*" >&2
	bad=1
}

# lint_series NAME SERIES PATCHDIR TREE EXCEPTIONS [apply env...]: the
# series lists exactly the files in PATCHDIR, applies with fuzz 0 in TREE,
# and each patch is checkpatch --strict clean with that tree's checkpatch.
# Exceptions: "<patch> <TYPE> <reason>" lines; --ignore TYPE for that patch.
lint_series() {
	local name=$1 series=$2 pdir=$3 tree=$4 exceptions=$5 listed present p ignore out key
	shift 5
	listed=$(grep -Ev '^[[:space:]]*(#|$)' "$series" | awk '{print $1}' | sort)
	present=$(cd "$pdir" && find . -maxdepth 1 -type f -printf '%f\n' | sort)
	for p in $(comm -13 <(echo "$listed") <(echo "$present")); do
		fail "$name: $p is not in its series"
	done
	for p in $(comm -23 <(echo "$listed") <(echo "$present")); do
		fail "$name: the series lists $p, which is not in $pdir"
	done
	[ "$(echo "$listed" | uniq -d)" = "" ] || fail "$name: the series lists a patch twice"
	env "$@" "$TOP/scripts/apply.sh" "$tree" || fail "$name: the series does not apply with fuzz 0"
	grep -Ev '^[[:space:]]*(#|$)' "$series" | awk '{print $1}' >"$BUILD/.lint-order"
	while read -r p; do
		[ -f "$pdir/$p" ] || continue
		grep -q '^Signed-off-by: ' "$pdir/$p" || fail "$name: $p: no Signed-off-by"
		grep -q '^Subject: ' "$pdir/$p" || fail "$name: $p: no Subject"
		ignore=$(awk -v p="$p" '$1 == p { printf "%s,", $2 }' "$exceptions" 2>/dev/null || true)
		# A clean result is kept, keyed by all that checkpatch reads.
		key=$({ cat "$pdir/$p" "$tree"/scripts/checkpatch.pl \
			"$tree"/scripts/spelling.txt \
			"$tree"/scripts/const_structs.checkpatch 2>/dev/null
			echo "$ignore"; } | sha256sum | cut -d' ' -f1)
		[ ! -f "$BUILD/.checkpatch-clean/$key" ] || continue
		out=$(cd "$tree" && ./scripts/checkpatch.pl --strict --show-types -q \
			--no-summary ${ignore:+--ignore "${ignore%,}"} "$pdir/$p" 2>&1) ||
			true
		if [ -z "$out" ]; then
			mkdir -p "$BUILD/.checkpatch-clean"
			touch "$BUILD/.checkpatch-clean/$key"
		else
			echo "$out" >&2
			fail "$name: $p: checkpatch --strict is not clean"
		fi
	done <"$BUILD/.lint-order"
	note "lint: $name: $(echo "$listed" | grep -c . || true) patches"
}

lint_series 6.12 "$TOP/series" "$TOP/patches" "$BUILD/tree" \
	"$TOP/checkpatch.exceptions" UPSTREAM=0
lint_series upstream "$TOP/upstream/series" "$TOP/upstream/patches" \
	"$BUILD/upstream-tree" "$TOP/upstream/checkpatch.exceptions" UPSTREAM=1

sp=$TOP/patches/selftests-tee-add-protected-DMA-heap-tests.patch
if [ -f "$sp" ]; then
	tmp=$(mktemp)
	"$TOP/scripts/selftest-patch.sh" "$tmp"
	cmp -s "$tmp" "$sp" || { diff -u "$sp" "$tmp" | head -n 40 >&2;
		fail "selftests/tee and $(basename "$sp") differ: run 'make selftest-patch'"; }
	rm -f "$tmp"
fi

# The upstream patches generated from the 6.12 series are up to date.
gen=$(mktemp -d)
"$TOP/scripts/upstream-gen.sh" "$gen"
for f in "$gen"/*; do
	cmp -s "$f" "$TOP/upstream/patches/${f##*/}" || {
		diff -u "$TOP/upstream/patches/${f##*/}" "$f" | head -n 40 >&2
		fail "upstream/patches/${f##*/} is not what the 6.12 series generates: run 'make upstream-gen'"
	}
done
rm -rf "$gen"

(cd "$TOP" && shellcheck scripts/*.sh scripts/guest/*.sh scripts/guest-init scripts/timeout-wrapper .ci/run) ||
	fail "shellcheck is not clean"
[ "$bad" = 0 ] && note "lint: clean"
exit $bad
