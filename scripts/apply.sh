#!/bin/bash
# Fresh copy of the pristine tree in $TREE, then the whole series with fuzz 0.
# Usage: apply.sh [TREE] [STOP_AFTER_PATCH]
# Env: UPSTREAM=1: the upstream series (upstream/) on the mainline-based
# tree of upstream/base instead of the 6.12 series on Debian's 6.12.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

upto=${2:-}
if [ "${UPSTREAM:-0}" = 1 ]; then
	tree=$(realpath -m "${1:-$BUILD/upstream-tree}")
	src=$(mainline_dir)
	base="$(cat "$BUILD/mainline/current")"
	upstream_quilt
else
	tree=$(realpath -m "${1:-$BUILD/tree}")
	src=$(pristine_dir)
	[ -f "$src/.unpacked" ] || "$TOP/scripts/source.sh" >/dev/null
	base="$(debian_version)"
fi

# Never change a tree under a running build.
kbuild_lock
mkdir -p "$tree"
# rsync restores what differs from the pristine tree, with the pristine
# mtimes.  The files the previous series changed (listed in the cache
# below) get their pristine content back: touch them, so that objects
# built from the series in the O= directories are not taken as current.
# The others keep their old mtime and their objects.  Without a cache
# (a tree from before it), touch everything rsync restored.
cache=$tree.applied
prev=
[ ! -d "$cache" ] || prev=$(cd "$cache" && find . -type f -printf '%P\n' | sort)
changed=$(rsync -a --delete --exclude=/.unpacked --out-format='%n' \
	"$src/" "$tree/" | grep -v '/$' | sort || true)
[ ! -d "$cache" ] || changed=$(comm -12 <(echo "$changed") <(echo "$prev"))
if [ -n "$changed" ]; then
	(cd "$tree" && xargs -r -d '\n' touch --no-create -- <<<"$changed")
fi

cd "$tree"
rm -rf .pc
listed=$(grep -cEv '^[[:space:]]*(#|$)' "$QUILT_SERIES" || true)
if [ "$listed" = 0 ]; then
	note "series is empty: pristine tree only"
	exit 0
fi
if [ -n "$upto" ]; then
	set -- "$upto"
else
	set -- -a
fi
if ! out=$(quilt push -q --fuzz=0 "$@" 2>&1); then
	echo "$out" >&2
	bad=$(quilt next 2>/dev/null || true)
	# Force it to get the rejects, show them, and leave the tree unforced.
	quilt push -f -q --fuzz=0 >/dev/null 2>&1 || true
	find . -name '*.rej' -print -exec cat {} \; >&2
	quilt pop -f -q >/dev/null 2>&1 || true
	die "patch ${bad:-?} does not apply with fuzz 0 to Debian $base"
fi
# A file the series gives the same content as at the previous apply gets
# that apply's mtime back, so that warm builds don't recompile it.  The
# cache holds the series' files only: a file that leaves the series loses
# its entry, so that it never gets an mtime older than its objects.
mkdir -p "$cache"
files=$(quilt files -a 2>/dev/null | sort -u)
while IFS= read -r f; do
	if [ -z "$f" ] || [ ! -f "$f" ]; then
		continue
	fi
	if [ -f "$cache/$f" ] && cmp -s "$f" "$cache/$f"; then
		touch -r "$cache/$f" -- "$f"
	else
		mkdir -p "$cache/$(dirname "$f")"
		cp -p -- "$f" "$cache/$f"
	fi
done <<<"$files"
(cd "$cache" && find . -type f -printf '%P\n') | sort |
	comm -23 - <(echo "$files") | (cd "$cache" && xargs -r -d '\n' rm -f --)
note "applied $(quilt applied 2>/dev/null | wc -l) patches in $tree"
