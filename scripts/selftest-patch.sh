#!/bin/bash
# Generate the patch adding tools/testing/selftests/tee from selftests/tee/.
# The patch's header (commit message, up to the first "---") is kept.
# Usage: selftest-patch.sh [OUTPUT]   (default: rewrite the patch in place)
# Env: SRC, the pristine tree to diff against (default: Debian's 6.12).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

name=selftests-tee-add-protected-DMA-heap-tests.patch
patch=$TOP/patches/$name
outfile=${1:-$patch}
[ -f "$patch" ] || die "patches/$name missing: write its commit message header (ending in ---)"
if [ -n "${SRC:-}" ]; then
	src=$SRC
else
	src=$(pristine_dir)
	[ -f "$src/.unpacked" ] || "$TOP/scripts/source.sh" >/dev/null
fi

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
{
	sed '/^---$/q' "$patch"
	# Register the suite, alphabetically between tdx and thermal.
	sed 's/^TARGETS += tdx$/&\nTARGETS += tee/' \
		"$src/tools/testing/selftests/Makefile" |
		diff -u --label a/tools/testing/selftests/Makefile \
			--label b/tools/testing/selftests/Makefile \
			"$src/tools/testing/selftests/Makefile" - || true
	(cd "$TOP" && git ls-files --cached --others --exclude-standard selftests/tee) |
		LC_ALL=C sort | while read -r f; do
			diff -u --label /dev/null --label "b/tools/testing/$f" \
				/dev/null "$TOP/$f" || true
		done
} >"$tmp"
grep -q '^+TARGETS += tee$' "$tmp" || die "could not add tee to the selftests Makefile"
cat "$tmp" >"$outfile"
