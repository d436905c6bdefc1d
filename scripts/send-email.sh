#!/bin/bash
# Prepare a series for the lists: a throwaway git tree holding the files
# the series touches (plus MAINTAINERS and get_maintainer.pl), one commit
# per patch, a cover letter naming the base, To/Cc from that tree's
# get_maintainer.pl, checkpatch, then `git send-email --dry-run`
# (DRY_RUN=0 sends).
#   BASE=mainline (default): upstream/series on the mainline-based tree of
#     upstream/base: our fixes, teesim, the kselftests.
#   BASE=6.12: the Debian backport; our own patches on top of the
#     backports of mainline commits (ALL=1 sends the backports too).
#   TOOL=b4: the mails come from `b4 prep` (cover letter commit,
#     change-id, To/Cc with --auto-to-cc) and `b4 send -o`, then go out
#     with git send-email like the others.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

base_kind=${BASE:-mainline}
case "$base_kind" in
mainline | upstream)
	src=$(mainline_dir)
	read -r mpkg mver <"$BUILD/mainline/current"
	kver=$(make -s -C "$src" kernelversion)
	series=$TOP/upstream/series
	pdir=$TOP/upstream/patches
	changelog=$TOP/upstream/CHANGELOG
	subject="tee: fixes for protected DMA-buf heaps, a simulated TEE and kselftests"
	basedesc="Linux $kver as packaged by Debian: $mpkg $mver ($(awk '!/^#/ && NF { print $3 " " $4 }' "$TOP/upstream/base"))"
	;;
6.12)
	src=$(pristine_dir)
	[ -f "$src/.unpacked" ] || "$TOP/scripts/source.sh" >/dev/null
	kver=$(make -s -C "$src" kernelversion)
	series=$TOP/series
	pdir=$TOP/patches
	changelog=$TOP/CHANGELOG
	subject="$([ "${ALL:-0}" = 1 ] && echo "TEE protected DMA-buf heaps for 6.12" || echo "tee: simulated TEE and tests for protected DMA-buf heaps")"
	basedesc="Linux $kver as packaged by Debian: linux-source-6.12 $(debian_version)$([ "${ALL:-0}" = 1 ] || echo ", plus the backports of the mainline v6.18 series at the head of this series")"
	;;
*) die "BASE=$base_kind: mainline or 6.12" ;;
esac
tool=${TOOL:-git}
[ "$tool" = git ] || [ "$tool" = b4 ] || die "TOOL=$tool: git or b4"

work=$BUILD/send
repo=$work/repo
outdir=$work/outgoing
rm -rf "$work"
mkdir -p "$repo" "$outdir"
name=$(git -C "$TOP" config user.name) || die "set git user.name"
email=$(git -C "$TOP" config user.email) || die "set git user.email"
g() { git -C "$repo" -c user.name="$name" -c user.email="$email" "$@"; }

mapfile -t patches < <(grep -Ev '^[[:space:]]*(#|$)' "$series" | awk '{print $1}')
[ "${#patches[@]}" -gt 0 ] || die "the series is empty"
# The base commit: the pristine version of every file the series touches,
# and what get_maintainer.pl needs.
g init -q -b base
{
	for p in "${patches[@]}"; do
		sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$pdir/$p"
	done
	echo MAINTAINERS
	echo scripts/get_maintainer.pl
} | sort -u | while read -r f; do
	[ -f "$src/$f" ] || continue
	mkdir -p "$repo/$(dirname "$f")"
	cp -p "$src/$f" "$repo/$f"
done
g add -A
g commit -q -m "Linux $kver ($basedesc), the files the series touches"
base=$(g rev-parse HEAD)
first=""
for p in "${patches[@]}"; do
	g am -q --keep-cr "$pdir/$p" || die "git am failed on $p"
	if [ "$base_kind" = 6.12 ] && [ "${ALL:-0}" != 1 ] &&
		grep -qE '^Backport of mainline commit [0-9a-f]{12,40}( |$)' "$pdir/$p"; then
		[ -z "$first" ] || die "$p is a backport after our own patches: reorder the series"
		base=$(g rev-parse HEAD)
	else
		first=${first:-$p}
	fi
done
[ -n "$first" ] || die "no patch to send (ALL=1 sends the backports too)"
n=$(g rev-list --count "$base..HEAD")

blurb=$work/blurb.txt
{
	if [ "$base_kind" = 6.12 ]; then
		echo "This series brings the TEE subsystem's protected DMA-buf heaps to"
		echo "Debian's linux-source-6.12 $(debian_version), with a simulated TEE"
		echo "(teesim), KUnit tests and kselftests that run in QEMU on x86_64 and arm64."
	else
		cat "$TOP/upstream/cover-letter.txt"
	fi
	echo
	echo "Base: $basedesc."
	echo
	echo "Changes:"
	if [ -f "$changelog" ]; then
		cat "$changelog"
	else
		echo "- first posting"
	fi
} >"$blurb"

g format-patch -q -o "$work/plain" "$base..HEAD"
mapfile -t mails_src < <(find "$work/plain" -name '0*.patch' | sort)
gm() { (cd "$src" && ./scripts/get_maintainer.pl --no-rolestats --no-git \
	--separator , "$@" "${mails_src[@]}" 2>/dev/null); }
to=$(gm --no-r --no-l) || to=""
cc=$(gm --no-m) || cc=""
note "checkpatch pre-flight ($(basename "$src"))"
(cd "$src" && ./scripts/checkpatch.pl --strict -q --no-summary \
	--ignore FILE_PATH_CHANGES,UNKNOWN_COMMIT_ID "${mails_src[@]}") ||
	die "checkpatch found problems"

dry=--dry-run
[ "${DRY_RUN:-1}" != 0 ] || dry=""
if [ "$tool" = b4 ]; then
	command -v b4 >/dev/null || die "b4 missing: run 'make deps'"
	# b4 prep keeps the cover letter in an empty commit on the branch and
	# asks get_maintainer.pl (of the base tree) for To/Cc.
	g checkout -q -b "tee-protmem-$base_kind"
	gmcmd="sh -c 'cd $src && exec ./scripts/get_maintainer.pl --nogit --nogit-fallback --nogit-chief-penguins --norolestats"
	g config b4.send-auto-to-cmd "$gmcmd --nol'"
	g config b4.send-auto-cc-cmd "$gmcmd --nom'"
	(cd "$repo" && b4 prep -e "$base" >/dev/null 2>&1) || die "b4 prep -e failed"
	printf '%s\n\n' "$subject" >"$work/cover"
	cat "$blurb" >>"$work/cover"
	# b4 prep --edit-cover runs $EDITOR on the cover letter.
	(cd "$repo" && EDITOR="cp $work/cover" b4 prep --edit-cover >/dev/null 2>&1) ||
		die "b4 prep --edit-cover failed"
	(cd "$repo" && b4 prep --auto-to-cc >/dev/null 2>&1) || die "b4 prep --auto-to-cc failed"
	(cd "$repo" && b4 send -o "$outdir" --no-sign >/dev/null 2>&1) || die "b4 send -o failed"
	# The base commit is the throwaway one: the cover letter names the
	# real base in words.
	sed -i '/^base-commit: /d' "$outdir"/*.eml
	# The upstream series keeps its change-id from one revision to the next.
	if [ "$base_kind" != 6.12 ] && [ -s "$TOP/upstream/change-id" ]; then
		sed -i "s/^change-id: .*/change-id: $(cat "$TOP/upstream/change-id")/" "$outdir"/0000-*.eml
	fi
	note "$n patches and a cover letter in $outdir (b4); $(grep -h '^change-id: ' "$outdir"/0000-*.eml)"
	git -C "$repo" send-email $dry --confirm=never --suppress-cc=self \
		--from="$name <$email>" "$outdir"/*.eml
	exit 0
fi

g format-patch -q -n --cover-letter --cover-from-description=auto \
	-o "$outdir" "$base..HEAD"
# Fill the cover letter's blurb.
cl=$(ls "$outdir"/0000-*.patch)
sed -i "s/\*\*\* SUBJECT HERE \*\*\*/$subject/" "$cl"
awk -v f="$blurb" '/\*\*\* BLURB HERE \*\*\*/ { while ((getline l < f) > 0) print l; next } { print }' \
	"$cl" >"$cl.new" && mv "$cl.new" "$cl"
note "$n patches in $outdir; To: $to; Cc: $cc"
git -C "$repo" send-email $dry --confirm=never --suppress-cc=self \
	--from="$name <$email>" ${to:+--to="$to"} ${cc:+--cc="$cc"} "$outdir"/*.patch
