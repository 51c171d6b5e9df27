#!/usr/bin/env bash
# Builds kube-apiserver and kube-controller-manager for the playground from Debian 12's
# `kubernetes` source package: no Linux distribution ships these binaries, and the source
# package vendors every Go dependency, so Debian's apt is the only network it needs.
# The binaries are cached outside the checkout, keyed by source version; a second run is a no-op.
set -euo pipefail

version="${FLEDGE_KUBE_VERSION:-1.20.2}"
cache="${FLEDGE_CACHE:-$HOME/.cache/fledge}"
target="$cache/kubernetes-$version"
binaries=(kube-apiserver kube-controller-manager)

have_all() {
  for b in "${binaries[@]}"; do [ -x "$target/$b" ] || return 1; done
}
if have_all; then
  echo "build-kube: kube-apiserver and kube-controller-manager $version already in $target"
  exit 0
fi

for tool in go rsync jq dpkg-source; do
  command -v "$tool" >/dev/null || {
    echo "build-kube: '$tool' is missing; run 'npm run setup' (it installs golang-go, rsync, jq, dpkg-dev)" >&2
    exit 1
  }
done
reflect2=/usr/share/gocode/src/github.com/modern-go/reflect2
[ -d "$reflect2" ] || {
  echo "build-kube: $reflect2 is missing; install golang-github-modern-go-reflect2-dev" >&2
  exit 1
}

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# apt-get source needs a deb-src entry; a separate file leaves the machine's own sources alone.
src_list=/etc/apt/sources.list.d/fledge-src.list
# Debian versions it "1.20.5+really1.20.2-...": match the upstream version after any "really".
version_re="^Version: (.*really)?${version//./\\.}([-+~]|\$)"
if ! apt-cache showsrc kubernetes 2>/dev/null | grep -qE "$version_re"; then
  # The mirror in use: the first non-security Debian URI of a deb822 `URIs:` or one-line `deb` entry.
  mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
    sed -nE 's/^(URIs:[[:space:]]*|deb[[:space:]]+(\[[^]]*\][[:space:]]+)?)(https?:\/\/[^[:space:]]*debian\/?)([[:space:]].*)?$/\3/p' |
    grep -v security | head -n1 || true)
  mirror="${mirror:-http://deb.debian.org/debian}"
  # apt refuses two entries for one URI with different Signed-By values: reuse the machine's keyring.
  keyring=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
    grep -oiE '(Signed-By:[[:space:]]*|signed-by=)[^][:space:]]*debian-archive-keyring[^][:space:]]*' |
    sed -E 's/^(Signed-By:[[:space:]]*|signed-by=)//I' | head -n1 || true)
  options="${keyring:+[signed-by=$keyring] }"
  echo "build-kube: adding deb-src for bookworm main ($mirror) in $src_list"
  echo "deb-src $options${mirror%/} bookworm main" | as_root tee "$src_list" >/dev/null
  as_root apt-get update -q || {
    as_root rm -f "$src_list"
    echo "build-kube: apt-get update failed with the deb-src entry; removed $src_list again" >&2
    exit 1
  }
fi

start=$(date +%s)
echo "build-kube: building kube-apiserver and kube-controller-manager $version ... (one time, ~5 min)"
work="$cache/build-kubernetes-$version"
rm -rf "$work"
mkdir -p "$work"
(cd "$work" && apt-get source -q kubernetes="$(apt-cache showsrc kubernetes | grep -E "$version_re" | awk '{print $2; exit}')" >"$work/apt-source.log" 2>&1) || {
  echo "build-kube: 'apt-get source kubernetes' failed; see $work/apt-source.log" >&2
  exit 1
}
src=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'kubernetes-*' | head -n1)
[ -n "$src" ] || { echo "build-kube: no source tree was unpacked in $work" >&2; exit 1; }

# The vendored reflect2 1.0.1 segfaults under Go >= 1.18; Debian's 1.0.2 is API-compatible.
rm -rf "$src/vendor/github.com/modern-go/reflect2"
cp -r "$reflect2" "$src/vendor/github.com/modern-go/reflect2"

(cd "$src" && make WHAT="cmd/kube-apiserver cmd/kube-controller-manager" >"$work/make.log" 2>&1) || {
  echo "build-kube: make failed; the last lines of $work/make.log:" >&2
  tail -n 30 "$work/make.log" >&2
  exit 1
}

mkdir -p "$target.partial"
for b in "${binaries[@]}"; do
  built=$(find "$src/_output" -type f -name "$b" -perm -u+x | head -n1)
  [ -n "$built" ] || { echo "build-kube: $b was not produced; see $work/make.log" >&2; exit 1; }
  cp "$built" "$target.partial/$b"
done
rm -rf "$target"
mv "$target.partial" "$target"
rm -rf "$work"
echo "build-kube: done in $(( $(date +%s) - start )) s: $target"
