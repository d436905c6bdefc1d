#!/bin/bash
# The full gate: lint, then build + boot + kselftests on every arch and
# on the upstream tree, then KUnit.  One kernel per arch, booted once per guest below.  Lint, a build or an initramfs that breaks counts as one failure; the last line is the
# totals over every TAP result: "N passed, N failed, N skipped".
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# Kernels: "LABEL ARCH TREE PACKAGE".  The 6.12 tree and the upstream one
# (the upstream series on the mainline-based tree, both applied by lint).
# PACKAGE=deb: the kernel is packaged (package.sh, as `make deb` does) and
# the guests boot the kernel and modules unpacked from the .deb files.
# BUILDS selects kernels by label (ARCHES=... picks 6.12 arches).
kernels=(
	"x86_64 x86_64 $BUILD/tree deb"
	"arm64 arm64 $BUILD/tree deb"
	"upstream-x86_64 x86_64 $BUILD/upstream-tree -"
)
builds=${BUILDS:-${ARCHES:-x86_64 arm64} upstream-x86_64}
# Guests: "LABEL KERNEL [kernel parameters...]".  x86_64 has teesim built in
# and runs the suites with protected pages out of the linear map, then the
# tee suite again as on a board (TEE= and HEAP= set: no teesim statistics,
# teesim-only tests skip) with every DMA bounced through swiotlb (the
# dmabuf-heaps suite imports 1 MiB segments, more than swiotlb can
# bounce); arm64 is modular as Debian's kernels are (tee, optee and teesim
# are modules): the tee suite runs first, its tee_modules test loads and
# unloads them before anything else has; the upstream kernel runs the
# suites like x86_64.  After the suites, tee_stress runs for 10 s in the
# x86_64 guest and in the arm64 one, there reloading teesim every 3 s.
guests=(
	"x86_64 x86_64 teesim.enforce=1 rig.stress=10"
	"x86_64-board x86_64 swiotlb=force rig.tests=tee rig.env.TEE=/dev/tee0 rig.env.HEAP=protected,secure-video:protected,trusted-ui"
	"arm64 arm64 rig.tests=tee,dmabuf-heaps rig.stress=10 rig.stress.reload=3"
	"upstream-x86_64 upstream-x86_64 teesim.enforce=1"
)
logs=$BUILD/logs
mkdir -p "$logs"
rm -f "$logs"/*.counts
extra_fail=0
step() {
	local what=$1
	shift
	local t0=$SECONDS
	if "$@"; then
		note "$what: ok ($((SECONDS - t0)) s)"
	else
		note "$what: FAILED ($((SECONDS - t0)) s)"
		extra_fail=$((extra_fail + 1))
		return 1
	fi
}

# A kernel packaged and unpacked: the guests boot what the .deb files hold.
# Not again while the version, the config, the image and the modules are
# those of the last packaging.
package() {
	local a=$1 tree=$2 out=$3 dest=$BUILD/deb/check-$1 key
	key="$(deb_revision) $(sha256sum <"$out/.config" | cut -c1-16)"
	if [ "$(cat "$dest/.packaged" 2>/dev/null)" = "$key" ] &&
		[ -d "$out/pkg-root" ] &&
		[ -z "$(find "$out" \( -path "$out/modinst" -o -path "$out/pkg-root" \) \
			-prune -o \( -name vmlinux -o -name '*.ko' \) \
			-newer "$dest/.packaged" -print -quit)" ]; then
		note "package $a: kernel and modules as packaged last time"
		return 0
	fi
	DEB_BUILD_PROFILES="pkg.linux-protmem.nokernelheaders pkg.linux-protmem.nokerneldbg" \
		KDEB_COMPRESS=gzip FLAVOUR="small: the rig's QEMU guest config (make check)" \
		"$TOP/scripts/package.sh" "$a" "$tree" "$out" "$dest" &&
		"$TOP/scripts/deb-unpack.sh" "$dest" "$out/pkg-root" &&
		echo "$key" >"$dest/.packaged"
}

step lint "$TOP/scripts/lint.sh" || true
for a in x86_64 arm64; do
	step "Debian's $a config: drivers/tee, drivers/dma-buf (W=1, sparse)" \
		"$TOP/scripts/debian-check.sh" "$a" || true
done
# Every kernel first (builds use both cores), then the guests, GUEST_JOBS
# (2) at a time: a TCG guest running one test at a time keeps one core
# busy, so two of them side by side take half the time.
ready=()
for k in "${kernels[@]}"; do
	read -r klabel a tree pkg <<<"$k"
	[[ " $builds " == *" $klabel "* ]] || continue
	out=$BUILD/out/$klabel
	step "build $klabel" "$TOP/scripts/build.sh" "$a" "$tree" "$out" || continue
	pkg_root=-
	if [ "$pkg" = deb ]; then
		step "package $klabel" package "$a" "$tree" "$out" || continue
		pkg_root=$out/pkg-root
	fi
	[ "$pkg_root" != - ] || pkg_root=
	PKG_ROOT=$pkg_root step "initramfs $klabel" \
		"$TOP/scripts/initramfs.sh" "$a" "$tree" "$out" || continue
	ready+=("$klabel $a $out ${pkg_root:--}")
done

run_guest() {
	local label=$1 a=$2 out=$3 pkg_root=$4 args=$5
	[ "$pkg_root" != - ] || pkg_root=
	# A guest that dies or hangs is counted by results.sh.
	PKG_ROOT=$pkg_root LABEL=$label BOOT_ARGS=$args QUIET=1 \
		"$TOP/scripts/qemu.sh" "$a" tests "$out" >"$logs/$label-qemu.out" 2>&1 || true
}

started=()
t0=$SECONDS
for r in "${ready[@]}"; do
	read -r klabel a out pkg_root <<<"$r"
	for g in "${guests[@]}"; do
		read -r label kernel args <<<"$g"
		[ "$kernel" = "$klabel" ] || continue
		rm -f "$logs/$label-console.log"
		while [ "$(jobs -rp | wc -l)" -ge "${GUEST_JOBS:-2}" ]; do
			wait -n || true
		done
		note "guest $label: booting"
		run_guest "$label" "$a" "$out" "$pkg_root" "${args:-}" &
		started+=("$label")
	done
done
wait || true
note "guests: $((SECONDS - t0)) s"
for label in "${started[@]}"; do
	cat "$logs/$label-qemu.out"
	grep -E '^(not )?ok [0-9]+ selftests: ' "$logs/$label-console.log" || true
	"$TOP/scripts/results.sh" "$label" "$logs/$label-console.log" || true
done
QUIET=1 "$TOP/scripts/kunit.sh" || true

read -r pass fail skip < <(cat "$logs"/*.counts 2>/dev/null |
	awk '{ p += $1; f += $2; s += $3 } END { print p + 0, f + 0, s + 0 }')
fail=$((fail + extra_fail))
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
