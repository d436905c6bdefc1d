#!/bin/bash
# Generate the upstream patches that carry the same code as the 6.12
# series, so that each change has one source of truth:
#  - teesim: the 6.12 patch's new files as they are (but for mainline's
#    kzalloc_obj() idiom), and its one-line hooks in Kconfig, Makefile and
#    the documentation index redone against mainline;
#  - the dmabuf-heaps selftest fix: the 6.12 patch ported to mainline's
#    test with patch(1) and diffed again;
#  - the tee kselftests: from selftests/tee (scripts/selftest-patch.sh).
# The commit messages are the 6.12 patches' own.  The fixes in upstream/
# are written for mainline's code and are not generated.
# Usage: upstream-gen.sh [OUTDIR]   (default: upstream/patches)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

outdir=$(realpath -m "${1:-$TOP/upstream/patches}")
src=$(mainline_dir)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$outdir"

header() {
	sed '/^---$/q' "$TOP/patches/$1"
}

# diff of FILE (relative) from the mainline tree to NEW, as in a patch.
file_diff() {
	diff -u -p --label "a/$1" --label "b/$1" "$src/$1" "$2" || [ $? = 1 ]
}

# The per-file parts of a patch, as PREFIX.NNN files; prints "NNN path".
# Hunk lengths come from the @@ lines, so a removed line starting with
# "-- " is not taken for a file header.
split_patch() {
	sed '1,/^---$/d' "$1" | awk -v pre="$2" '
		left == 0 && /^--- / { n++; f = sprintf("%s.%03d", pre, n) }
		left == 0 && /^\+\+\+ / { p = $2; sub(/^b\//, "", p); printf "%03d %s\n", n, p }
		left == 0 && /^@@ / {
			split($2, o, ","); split($3, w, ",")
			left = (o[2] == "" ? 1 : o[2]) + (w[2] == "" ? 1 : w[2])
			print > f; next
		}
		left > 0 && /^[ ]/ { left -= 2 }
		left > 0 && /^[-+]/ { left -= 1 }
		n { print > f }
	'
}

# teesim: new files verbatim; the existing files get the same one-line
# hook, placed by rule in mainline's version of them.
teesim_hook() {
	case "$1" in
	drivers/tee/Kconfig)
		n=$(grep -n '^source "drivers/tee/[a-z]*/Kconfig"$' "$src/$1" | tail -n 1 | cut -d: -f1)
		sed "${n}a source \"drivers/tee/teesim/Kconfig\"" "$src/$1" ;;
	drivers/tee/Makefile)
		n=$(grep -n '^obj-[$](CONFIG_[A-Z_]*) += [a-z]*/$' "$src/$1" | tail -n 1 | cut -d: -f1)
		sed "${n}a obj-\$(CONFIG_TEESIM) += teesim/" "$src/$1" ;;
	Documentation/tee/index.rst)
		sed 's/^   ts-tee$/&\n   teesim/' "$src/$1" ;;
	*) die "teesim: no rule for $1" ;;
	esac
}

gen_teesim() {
	local name=tee-add-teesim-a-simulated-TEE-driver.patch n f
	{
		header "$name"
		while read -r n f; do
			if grep -q '^--- /dev/null' "$tmp/teesim.$n"; then
				# Mainline allocates a single object with
				# kzalloc_obj(); 6.12 does not have it.
				sed -E 's/^(\+.*[^_a-z])kzalloc\(sizeof\((\*[a-z_]+)\), GFP_KERNEL\)/\1kzalloc_obj(\2)/' \
					"$tmp/teesim.$n"
			else
				teesim_hook "$f" >"$tmp/new"
				cmp -s "$tmp/new" "$src/$f" && die "teesim: the rule for $f changed nothing"
				file_diff "$f" "$tmp/new"
			fi
		done < <(split_patch "$TOP/patches/$name" "$tmp/teesim")
	} >"$outdir/$name"
}

# The files a 6.12 patch changes.
files() {
	sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$TOP/patches/$1"
}

gen_ported() {
	local name=$1 f
	{
		header "$name"
		files "$name" | while read -r f; do
			[ -f "$src/$f" ] || die "$name: $f is not in mainline"
			mkdir -p "$tmp/port/$(dirname "$f")"
			cp "$src/$f" "$tmp/port/$f"
		done
		patch -s -d "$tmp/port" -p1 -F3 --no-backup-if-mismatch \
			<"$TOP/patches/$name" >&2 || die "$name does not port to mainline"
		files "$name" | while read -r f; do
			file_diff "$f" "$tmp/port/$f"
		done
	} >"$outdir/$name"
}

gen_teesim
gen_ported selftests-dmabuf-heaps-no-CPU-access-tests-on-protected-heaps.patch
SRC=$src "$TOP/scripts/selftest-patch.sh" \
	"$outdir/selftests-tee-add-protected-DMA-heap-tests.patch"
