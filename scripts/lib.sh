# shellcheck shell=bash
# Common settings for the scripts in this directory; sourced, not run.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
TARBALL=${TARBALL:-/usr/src/linux-source-6.12.tar.xz}

die() {
	echo "error: $*" >&2
	exit 1
}

note() {
	echo ">>> $*" >&2
}

# Debian version of the linux-source-6.12 package, used to key the cache.
debian_version() {
	dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || echo unknown
}

# Directory holding the unpacked pristine tree of this Debian version.
pristine_dir() {
	echo "$BUILD/pristine/$(debian_version | tr "~:" "__")/linux-source-6.12"
}

# The pristine mainline-based tree the upstream series is for (fetched by
# mainline-source.sh, see upstream/base).
mainline_dir() {
	"$TOP/scripts/mainline-source.sh" | sed -n 's/.* in //p'
}

# quilt settings for the upstream series (after the 6.12 defaults below).
upstream_quilt() {
	export QUILT_PATCHES="$TOP/upstream/patches"
	export QUILT_SERIES="$TOP/upstream/series"
}

# Kernel ARCH and cross-compile prefix for a rig ARCH name.
karch() {
	case "$1" in
	x86_64) echo x86 ;;
	arm64) echo arm64 ;;
	*) die "unknown ARCH '$1' (x86_64 or arm64)" ;;
	esac
}

cross_compile() {
	case "$1" in
	x86_64) echo "" ;;
	arm64) echo aarch64-linux-gnu- ;;
	*) die "unknown ARCH '$1'" ;;
	esac
}

# Arguments ARCH [TREE] [OUT] of the per-arch scripts: sets arch, tree and
# out (absolute), and the kernel's ka (ARCH) and cross (CROSS_COMPILE).
# shellcheck disable=SC2034 # used by the scripts that source this file
arch_args() {
	arch=${1:?ARCH}
	tree=$(realpath -m "${2:-$BUILD/tree}")
	out=$(realpath -m "${3:-$BUILD/out/$arch}")
	ka=$(karch "$arch")
	cross=$(cross_compile "$arch")
}

# Serialise kernel builds: the machine has two cores.
kbuild_lock() {
	mkdir -p "$BUILD"
	exec 9>"$BUILD/.kbuild.lock"
	flock 9
}

# quilt works on the repository's patches/ and series from any tree.
export QUILTRC="$TOP/scripts/quiltrc"
export QUILT_PATCHES="$TOP/patches"
export QUILT_SERIES="$TOP/series"

# The kselftest collections the rig builds, installs and runs.
SELFTESTS=${SELFTESTS:-dmabuf-heaps tee}
