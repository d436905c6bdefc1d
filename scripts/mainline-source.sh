#!/bin/bash
# Fetch and unpack the mainline-based kernel source the upstream series is
# made for (upstream/base): `apt-get download` through a private apt
# configuration under build/apt (its own sources list, lists, cache and an
# empty dpkg status), so the host's apt sources are never changed.  Prints
# "<package> <Debian version> (<kernel version>) in <dir>".
# Env: MAINLINE_PKG (default: the package named in upstream/base).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

read -r base_pkg base_src < <(grep -Ev '^[[:space:]]*(#|$)' "$TOP/upstream/base")
pkg=${MAINLINE_PKG:-$base_pkg}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$keyring" ] || die "$keyring missing: run 'make deps'"

apt=$BUILD/apt
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/etc"
: >"$apt/status"
echo "${base_src/deb /deb [signed-by=$keyring] }" >"$apt/etc/sources.list"
aptopts=(-q -o Dir::Etc::sourcelist="$apt/etc/sources.list"
	-o Dir::Etc::sourceparts=/dev/null -o Dir::State="$apt"
	-o Dir::State::status="$apt/status" -o Dir::Cache="$apt/cache"
	-o Debug::NoLocking=1 -o APT::Sandbox::User="$(id -un)")

# Refresh the index at most once an hour; without network, keep what we have.
stamp=$apt/.updated
if [ -z "$(find "$stamp" -mmin -60 2>/dev/null)" ]; then
	if apt-get "${aptopts[@]}" update >"$apt/update.log" 2>&1; then
		touch "$stamp"
	else
		[ -f "$stamp" ] || { cat "$apt/update.log" >&2; die "apt-get update failed for: $base_src"; }
		note "apt-get update failed: using the index of $(date -r "$stamp" +%F)"
	fi
fi
newest=$(apt-cache "${aptopts[@]}" pkgnames linux-source- |
	grep -E '^linux-source-[0-9]+\.[0-9]+$' | sort -V | tail -n 1)
[ -z "$newest" ] || [ "$newest" = "$pkg" ] ||
	note "$newest is newer than $pkg: rebase upstream/ on it (MAINLINE_PKG=$newest tries it)"
ver=$(apt-cache "${aptopts[@]}" show --no-all-versions "$pkg" 2>/dev/null |
	sed -n 's/^Version: //p' | head -n 1)
[ -n "$ver" ] || die "$pkg is not in: $base_src"

dir=$BUILD/mainline/$(echo "$ver" | tr '~:' '__')
src=$dir/$pkg
if [ ! -f "$src/.unpacked" ]; then
	mkdir -p "$dir"
	debfile=$(find "$dir" -maxdepth 1 -name "${pkg}_*.deb" | head -n 1)
	if [ -z "$debfile" ]; then
		note "downloading $pkg $ver"
		(cd "$dir" && apt-get "${aptopts[@]}" download "$pkg=$ver" >/dev/null)
		debfile=$(find "$dir" -maxdepth 1 -name "${pkg}_*.deb" | head -n 1)
	fi
	note "unpacking $(basename "$debfile")"
	rm -rf "$src"
	dpkg-deb --fsys-tarfile "$debfile" |
		tar -xO --wildcards "./usr/src/$pkg.tar.*" | tar -C "$dir" -xJ
	touch "$src/.unpacked"
	rm -f "$debfile"
fi
echo "$pkg $ver" >"$BUILD/mainline/current"
echo "$pkg $ver ($(make -s -C "$src" kernelversion)) in $src"
