#!/bin/bash
# Guest initramfs for ARCH: busybox, the kselftests installed by the tree's
# own `make -C tools/testing/selftests install` (built against the patched
# tree's `make headers`), the kernel modules, the shared libraries the tests
# need, and the user's EXTRA directory and GUEST_CMD.
# Usage: initramfs.sh ARCH [TREE] [OUT]   Env: EXTRA, GUEST_CMD, PKG_ROOT (the
# modules from this unpacked kernel package instead of OUT's).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

arch_args "$@"
root=$out/initramfs-root
[ -f "$out/.config" ] || die "no kernel in $out: run 'make build ARCH=$arch'"

if [ "$arch" = arm64 ]; then
	"$TOP/scripts/arm64-deps.sh"
	sysroot=$BUILD/sysroot-arm64
	triplet=aarch64-linux-gnu
	busybox=$sysroot/bin/busybox
	libdirs="/usr/aarch64-linux-gnu/lib $sysroot/lib/$triplet $sysroot/usr/lib/$triplet"
	# Cross builds find the arm64 libkmod and libcap here; the tests'
	# Makefiles append to these.
	export CFLAGS="-I$sysroot/usr/include"
	export LDFLAGS="-L$sysroot/usr/lib/$triplet -L$sysroot/lib/$triplet -Wl,-rpath-link,$sysroot/lib/$triplet:$sysroot/usr/lib/$triplet"
else
	triplet=x86_64-linux-gnu
	busybox=/bin/busybox
	libdirs="/lib/$triplet /usr/lib/$triplet"
fi

targets=""
for t in $SELFTESTS; do
	if [ -d "$tree/tools/testing/selftests/$t" ]; then
		targets="$targets $t"
	else
		note "kselftest $t is not in the tree (yet): not installed"
	fi
done

kbuild_lock
note "installing headers and kselftests ($targets) for $arch"
make -s -C "$tree" O="$out" ARCH="$ka" CROSS_COMPILE="$cross" headers
rm -rf "$out/kselftest_install" "$out/kselftest"
make -s -C "$tree/tools/testing/selftests" O="$out" ARCH="$ka" \
	CROSS_COMPILE="$cross" TARGETS="${targets# }" \
	KSFT_INSTALL_PATH="$out/kselftest_install" install >/dev/null
exec 9>&-

rm -rf "$root"
mkdir -p "$root"/{bin,rig,usr/bin,lib/"$triplet"}
install -m 755 "$busybox" "$root/bin/busybox"
install -m 755 "$TOP/scripts/guest-init" "$root/init"
install -m 755 "$TOP/scripts/timeout-wrapper" "$root/usr/bin/timeout"
cp -a "$out/kselftest_install" "$root/kselftest"
modroot=$out/modinst
[ -z "${PKG_ROOT:-}" ] || modroot=$PKG_ROOT
if [ -d "$modroot/lib/modules" ]; then
	mkdir -p "$root/lib/modules"
	cp -a "$modroot/lib/modules/." "$root/lib/modules/"
fi
if [ -n "${EXTRA:-}" ]; then
	[ -d "$EXTRA" ] || die "EXTRA=$EXTRA is not a directory"
	cp -a "$EXTRA/." "$root/extra/"
fi
[ -z "${GUEST_CMD:-}" ] || printf '%s\n' "$GUEST_CMD" >"$root/rig/guest-cmd"
printf 'export LD_LIBRARY_PATH=/lib/%s:/usr/lib/%s\n' "$triplet" "$triplet" \
	>"$root/rig/profile"

# Shared libraries (and the dynamic loader) of every ELF program we carry.
find_lib() {
	local d
	for d in $libdirs; do
		[ -e "$d/$1" ] && { echo "$d/$1"; return 0; }
	done
	die "library $1 not found in $libdirs"
}
declare -A seen=()
copy_deps() {
	local lib path
	for lib in $("${cross}readelf" -d "$1" 2>/dev/null |
		sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		[ -z "${seen[$lib]:-}" ] || continue
		seen[$lib]=1
		path=$(find_lib "$lib")
		cp -L "$path" "$root/lib/$triplet/$lib"
		copy_deps "$path"
	done
}
while IFS= read -r -d '' f; do
	[ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] || continue
	interp=$("${cross}readelf" -l "$f" 2>/dev/null |
		sed -n 's/.*interpreter: \(.*\)\]/\1/p')
	[ -z "$interp" ] || [ -e "$root$interp" ] || {
		mkdir -p "$root$(dirname "$interp")"
		cp -L "$(find_lib "$(basename "$interp")")" "$root$interp"
	}
	copy_deps "$f"
done < <(find "$root/kselftest" "$root/extra" -type f -perm -u+x -print0 2>/dev/null)

(cd "$root" && find . | cpio -o -H newc -R 0:0 --quiet) >"$out/initramfs.cpio"
note "initramfs $out/initramfs.cpio ($(du -h "$out/initramfs.cpio" | cut -f1)), kselftests:$targets"
