#!/bin/bash
# Build every prefix of the series for x86_64 and arm64, incrementally, in a
# tree of its own.  A prefix that does not build stops the run naming it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

tree=$BUILD/bisect-tree
arches=${ARCHES:-x86_64 arm64}
"$TOP/scripts/apply.sh" "$tree" >/dev/null
cd "$tree"
quilt pop -a -q >/dev/null 2>&1 || true
n=$(grep -cEv '^[[:space:]]*(#|$)' "$QUILT_SERIES" || true)
i=0
while :; do
	label=${top:-"(pristine)"}
	for a in $arches; do
		# Every prefix gets the final series' options (teesim, from the
		# tee kselftest config); those of later patches do not exist yet.
		SELFTESTS="" DEBUG=0 CHECK_CONFIG=0 FRAGS="$(ls "$TOP"/selftests/*/config 2>/dev/null || true)" "$TOP/scripts/build.sh" "$a" "$tree" \
			"$BUILD/bisect-out/$a" >"$BUILD/bisect-$a.log" 2>&1 || {
			tail -n 30 "$BUILD/bisect-$a.log" >&2
			die "$a does not build after $label ($i/$n)"
		}
	done
	echo "bisect: $i/$n $label: builds on $arches"
	[ "$i" -lt "$n" ] || break
	quilt push -q --fuzz=0 >/dev/null
	top=$(quilt top)
	i=$((i + 1))
done
