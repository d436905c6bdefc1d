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

# make in TREE for ARCH, output in OUT (arch_args), with ccache and the
# rig's reproducible build settings.  LOCALVERSION and the build number
# (KBUILD_BUILD_VERSION) are those of the Debian packages made from OUT
# (package.sh), so that packaging a built tree rebuilds nothing.
kmake() {
	CCACHE_DIR=${CCACHE_DIR:-$BUILD/ccache} CCACHE_BASEDIR=$BUILD \
	KBUILD_BUILD_TIMESTAMP=${KBUILD_BUILD_TIMESTAMP:-@0} \
	KBUILD_BUILD_USER=rig KBUILD_BUILD_HOST=rig \
	KBUILD_BUILD_VERSION=$(deb_revision) \
		make -s -C "$tree" O="$out" ARCH="$ka" CROSS_COMPILE="$cross" \
		CC="ccache ${cross}gcc" HOSTCC="ccache gcc" -j"$(nproc)" \
		LOCALVERSION="${LOCALVERSION--protmem-small}" "$@"
}

# Debian revision of the kernel packages: the linux-source-6.12 package's
# revision, then +protmem and the number of commits that changed the
# series (it grows with the series, not with every commit).
deb_revision() {
	local n
	n=$(git -C "$TOP" rev-list --count HEAD -- series patches 2>/dev/null) || n=0
	echo "$(debian_version | sed 's/^[^-]*-//')+protmem$n"
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
