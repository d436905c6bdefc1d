#!/bin/bash
# Boot the guest of ARCH in QEMU.  MODE: tests (the kselftests, then
# GUEST_CMD), cmd (only GUEST_CMD), shell (interactive).  The console goes to
# stdout and to build/logs/LABEL-console.log (LABEL defaults to ARCH).
# Usage: qemu.sh ARCH MODE [OUT]
# Env: ACCEL=auto|kvm|tcg, TIMEOUT (s), BOOT_ARGS (more kernel parameters),
# LABEL, PKG_ROOT (boot the kernel of this unpacked kernel package instead
# of OUT's).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

arch=${1:?ARCH}
mode=${2:-tests}
out=$(realpath -m "${3:-$BUILD/out/$arch}")
timeout=${TIMEOUT:-1800}
log=$BUILD/logs/${LABEL:-$arch}-console.log
mkdir -p "$BUILD/logs"

append="cma=64M panic=-1 loglevel=5 rig.mode=$mode${BOOT_ARGS:+ $BOOT_ARGS}"
case "$arch" in
x86_64)
	qemu=(qemu-system-x86_64 -bios /usr/share/qemu/qboot.rom
		-kernel "$out/arch/x86/boot/bzImage")
	append="console=ttyS0 $append"
	;;
arm64)
	qemu=(qemu-system-aarch64 -M virt -cpu "max,pauth-impdef=on"
		-kernel "$out/arch/arm64/boot/Image")
	append="console=ttyAMA0 $append"
	;;
*) die "unknown ARCH $arch" ;;
esac
if [ -n "${PKG_ROOT:-}" ]; then
	images=("$PKG_ROOT"/boot/vmlinuz-*)
	if [ "${#images[@]}" != 1 ] || [ ! -f "${images[0]}" ]; then
		die "not one kernel in $PKG_ROOT/boot: ${images[*]}"
	fi
	qemu[${#qemu[@]} - 1]=${images[0]}
fi
qemu+=(-smp 2 -m 2G -nographic -no-reboot -initrd "$out/initramfs.cpio")

# KVM only where a stock kernel really boots under it: some hosts expose a
# /dev/kvm that cannot run one (see README).  The probe result is cached.
accel=${ACCEL:-auto}
if [ "$arch" = x86_64 ] && [ "$accel" = auto ]; then
	probe=$BUILD/.kvm-probe
	if [ ! -f "$probe" ]; then
		res=tcg
		if [ -w /dev/kvm ] && timeout 60 "${qemu[@]}" -accel kvm -cpu host \
			-append "$append rig.mode=probe" </dev/null 2>&1 |
			grep -q 'RIG: guest up'; then
			res=kvm
		fi
		echo "$res" >"$probe"
	fi
	accel=$(cat "$probe")
	[ "$accel" = kvm ] || note "KVM does not boot a test kernel here: using TCG"
fi
[ "$accel" != auto ] || accel=tcg
if [ "$accel" = kvm ]; then
	qemu+=(-accel kvm -cpu host)
else
	qemu+=(-accel tcg)
	[ "$arch" != x86_64 ] || qemu+=(-cpu max)
fi

note "booting $arch ($accel, $mode${BOOT_ARGS:+, $BOOT_ARGS})"
if [ "$mode" = shell ]; then
	exec "${qemu[@]}" -append "$append"
fi
set +e
timeout -k 10 "$timeout" "${qemu[@]}" -append "$append" </dev/null |
	tr -d '\r' | if [ -n "${QUIET:-}" ]; then cat >"$log"; else tee "$log"; fi
rc=${PIPESTATUS[0]}
set -e
[ "$rc" != 124 ] || { echo "error: $arch guest timed out after ${timeout}s" >&2; exit 1; }
grep -q '^RIG: done' "$log" || { echo "error: $arch guest did not finish (QEMU exit $rc)" >&2; exit 1; }
