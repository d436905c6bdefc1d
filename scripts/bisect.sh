#!/bin/bash
# Build every prefix of the 6.12 series, then of the upstream series on the
# mainline-based tree, for x86_64 and arm64, incrementally, in trees of
# their own.  A prefix that does not build stops the run naming it.
# Env: ARCHES, SERIESES ("6.12 upstream" by default).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

arches=${ARCHES:-x86_64 arm64}

bisect_series() {
	local name=$1 up=$2 tree=$BUILD/bisect-$1 n i=0 top="" label a
	UPSTREAM=$up "$TOP/scripts/apply.sh" "$tree" >/dev/null
	[ "$up" = 0 ] || upstream_quilt
	cd "$tree"
	quilt pop -a -q >/dev/null 2>&1 || true
	n=$(grep -cEv '^[[:space:]]*(#|$)' "$QUILT_SERIES" || true)
	while :; do
		label=${top:-"(pristine)"}
		for a in $arches; do
			# Every prefix gets the final series' options (teesim,
			# from the tee kselftest config); those of later
			# patches do not exist yet.
			SELFTESTS="" DEBUG=0 CHECK_CONFIG=0 FRAGS="$(ls "$TOP"/selftests/*/config 2>/dev/null || true)" \
				"$TOP/scripts/build.sh" "$a" "$tree" "$BUILD/bisect-out-$name/$a" \
				>"$BUILD/bisect-$name-$a.log" 2>&1 || {
				tail -n 30 "$BUILD/bisect-$name-$a.log" >&2
				die "$name: $a does not build after $label ($i/$n)"
			}
		done
		echo "bisect: $name $i/$n $label: builds on $arches"
		[ "$i" -lt "$n" ] || break
		quilt push -q --fuzz=0 >/dev/null
		top=$(quilt top)
		i=$((i + 1))
	done
}

for s in ${SERIESES:-6.12 upstream}; do
	case "$s" in
	6.12) (bisect_series 6.12 0) ;;
	upstream) (bisect_series upstream 1) ;;
	*) die "unknown series $s (6.12 or upstream)" ;;
	esac
done
