#!/bin/bash
# Prepare the series for the lists: a throwaway git tree holding the files
# the series touches, one commit per patch, `git format-patch` with a cover
# letter, To/Cc from get_maintainer.pl, checkpatch, then `git send-email
# --dry-run` (DRY_RUN=0 sends).  Our own patches by default; ALL=1 adds the
# backports of mainline commits ("Backport of mainline commit <sha> ...").
set -euo pipefail
. "$(dirname "$0")/lib.sh"

src=$(pristine_dir)
[ -f "$src/.unpacked" ] || "$TOP/scripts/source.sh" >/dev/null
work=$BUILD/send
repo=$work/repo
outdir=$work/outgoing
rm -rf "$work"
mkdir -p "$repo" "$outdir"
name=$(git -C "$TOP" config user.name) || die "set git user.name"
email=$(git -C "$TOP" config user.email) || die "set git user.email"
g() { git -C "$repo" -c user.name="$name" -c user.email="$email" "$@"; }

mapfile -t patches < <(grep -Ev '^[[:space:]]*(#|$)' "$TOP/series" | awk '{print $1}')
[ "${#patches[@]}" -gt 0 ] || die "the series is empty"
# The base commit: the pristine version of every file the series touches.
g init -q
for p in "${patches[@]}"; do
	sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$TOP/patches/$p"
done | sort -u | while read -r f; do
	[ -f "$src/$f" ] || continue
	mkdir -p "$repo/$(dirname "$f")"
	cp "$src/$f" "$repo/$f"
done
g add -A
g commit -q -m "Debian linux-source-6.12 $(debian_version) (files the series touches)"
base=$(g rev-parse HEAD)
first=""
for p in "${patches[@]}"; do
	g am -q --keep-cr "$TOP/patches/$p" || die "git am failed on $p"
	if [ "${ALL:-0}" != 1 ] && grep -qE '^Backport of mainline commit [0-9a-f]{12,40} ' "$TOP/patches/$p"; then
		[ -z "$first" ] || die "$p is a backport after our own patches: reorder the series"
		base=$(g rev-parse HEAD)
	else
		first=${first:-$p}
	fi
done
[ -n "$first" ] || die "no patch to send (ALL=1 sends the backports too)"

n=$(g rev-list --count "$base..HEAD")
cover=$work/cover.txt
{
	echo "This series brings the TEE subsystem's protected DMA-buf heaps to"
	echo "Debian's linux-source-6.12 $(debian_version), with a simulated TEE"
	echo "(teesim), KUnit tests and kselftests that run in QEMU on x86_64 and arm64."
	echo
	echo "Base: Debian linux-source-6.12 $(debian_version)$([ "${ALL:-0}" = 1 ] || echo " plus the backports of the mainline v6.18 series")."
	echo
	echo "Changes:"
	if [ -f "$TOP/CHANGELOG" ]; then cat "$TOP/CHANGELOG"; else echo "- first posting"; fi
} >"$cover"
g format-patch -q -n --cover-letter --cover-from-description=auto \
	-o "$outdir" "$base..HEAD"
# Fill the cover letter's blurb.
cl=$(ls "$outdir"/0000-*.patch)
subject="$([ "${ALL:-0}" = 1 ] && echo "TEE protected DMA-buf heaps for 6.12" || echo "tee: simulated TEE and tests for protected DMA-buf heaps")"
sed -i "s/\*\*\* SUBJECT HERE \*\*\*/$subject/" "$cl"
awk -v f="$cover" '/\*\*\* BLURB HERE \*\*\*/ { while ((getline l < f) > 0) print l; next } { print }' \
	"$cl" >"$cl.new" && mv "$cl.new" "$cl"

mapfile -t mails < <(find "$outdir" -name '0*.patch' ! -name '0000-*' | sort)
gm() { (cd "$src" && ./scripts/get_maintainer.pl --no-rolestats --no-git \
	--separator , "$@" "${mails[@]}" 2>/dev/null); }
to=$(gm --no-r --no-l) || to=""
cc=$(gm --no-m) || cc=""
note "checkpatch pre-flight"
(cd "$src" && ./scripts/checkpatch.pl --strict -q --no-summary \
	--ignore FILE_PATH_CHANGES "${mails[@]}") || die "checkpatch found problems"
note "$n patches in $outdir; To: $to; Cc: $cc"
dry=--dry-run
[ "${DRY_RUN:-1}" != 0 ] || dry=""
git -C "$repo" send-email $dry --confirm=never --suppress-cc=self \
	--from="$name <$email>" ${to:+--to="$to"} ${cc:+--cc="$cc"} "$outdir"/*.patch
