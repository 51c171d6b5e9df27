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
elapsed() {
  local s=$(($(date +%s) - start))
  printf '%d min %02d s' $((s / 60)) $((s % 60))
}
say() { echo "build-kube: [$(elapsed)] $*"; }

# Measured on 2 cores: 8.5 to 10.5 CPU-minutes, so about 6 min on an idle machine and up to
# 20 on a loaded one. Each phase says so, and the compile phase how far it is every 30 s, so that a
# quiet terminal is never taken for a hung build.
say "building kube-apiserver and kube-controller-manager $version, once per machine: about 6 min on an idle 2-core machine, up to 20 min on a busy one"
work="$cache/build-kubernetes-$version"
log="$work/make.log"
rm -rf "$work"
mkdir -p "$work"
say "1/3 fetching Debian's kubernetes source package (35 MB)"
(cd "$work" && apt-get source -q kubernetes="$(apt-cache showsrc kubernetes | grep -E "$version_re" | awk '{print $2; exit}')" >"$work/apt-source.log" 2>&1) || {
  echo "build-kube: 'apt-get source kubernetes' failed; see $work/apt-source.log" >&2
  exit 1
}
src=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'kubernetes-*' | head -n1)
[ -n "$src" ] || { echo "build-kube: no source tree was unpacked in $work" >&2; exit 1; }

# The vendored reflect2 1.0.1 segfaults under Go >= 1.18; Debian's 1.0.2 is API-compatible.
rm -rf "$src/vendor/github.com/modern-go/reflect2"
cp -r "$reflect2" "$src/vendor/github.com/modern-go/reflect2"

# Progress: GOFLAGS=-v (Kubernetes' documented way; its scripts also append it to the build
# tags, where no file uses it) makes `go install` print each package's import path as it
# compiles it. The plan is `go list -deps` of both binaries, without the standard library (no
# dot in the first path element), once make has laid out its GOPATH tree. A planned package
# that the code generators' build compiled already, with the same flags, is a cache hit for
# the binaries and never printed again, so it counts as done from that earlier line.
planned="$work/planned-packages.txt"
main_started() { grep -qE '^ +cmd/kube-apiserver$' "$log"; }
list_planned() {
  (cd "$src/_output/local/go/src/k8s.io/kubernetes" &&
    GOPATH="$src/_output/local/go" GO111MODULE=off GOFLAGS='' CGO_ENABLED=0 GOCACHE="$work/go-list-cache" \
      go list -deps -tags selinux,notest ./cmd/kube-apiserver ./cmd/kube-controller-manager 2>/dev/null |
    grep '^[^/]*\.[^/]*/') >"$planned" || true
}
compiled() {
  awk 'FNR == NR { planned[$0] = 1; next }
       $0 in planned { done[$0] = 1 }
       END { n = 0; for (p in done) n++; print n }' "$planned" "$log"
}
# The code generator that make is building or running now, e.g. "deepcopy-gen".
generator() {
  awk '/Building go targets/ { getline; name = $1 }
       END { sub(/.*\//, "", name); print name ? "building and running " name : "preparing" }' "$log"
}

say "2/3 generating code (deepcopy, conversion, openapi); log: $log"
# In a process group of its own, so that an interrupted script stops the compilers too.
(cd "$src" && exec setsid make WHAT="cmd/kube-apiserver cmd/kube-controller-manager" GOFLAGS=-v) >"$log" 2>&1 &
make_pid=$!
trap 'kill -- "-$make_pid" 2>/dev/null || true' EXIT
total=""
reported=$(date +%s)
while kill -0 "$make_pid" 2>/dev/null; do
  sleep 2
  if [ -z "$total" ] && main_started; then
    list_planned
    total=$(wc -l <"$planned")
    packages="the $total Go packages"
    [ "$total" -gt 0 ] || packages="the Go packages"
    say "3/3 compiling $packages of both binaries, then linking; progress every 30 s, log: $log"
  fi
  [ $(($(date +%s) - reported)) -ge 30 ] || continue
  reported=$(date +%s)
  if [ -z "$total" ]; then
    say "2/3 generating code: $(generator)"
  elif [ "$total" -eq 0 ]; then
    say "3/3 compiling (go list gave no package list, so no count)"
  else
    done_count=$(compiled)
    if [ "$done_count" -ge "$total" ]; then
      say "3/3 compiled all $total packages; linking kube-apiserver and kube-controller-manager"
    else
      say "3/3 compiled $done_count of $total packages ($((done_count * 100 / total)) %)"
    fi
  fi
done
trap - EXIT
wait "$make_pid" || {
  echo "build-kube: make failed after $(elapsed); the last lines of $log:" >&2
  tail -n 30 "$log" >&2
  exit 1
}
[ "${total:-0}" -eq 0 ] || say "3/3 compiled $(compiled) of $total packages, linked both binaries"

mkdir -p "$target.partial"
for b in "${binaries[@]}"; do
  built=$(find "$src/_output" -type f -name "$b" -perm -u+x | head -n1)
  [ -n "$built" ] || { echo "build-kube: $b was not produced; see $work/make.log" >&2; exit 1; }
  cp "$built" "$target.partial/$b"
done
rm -rf "$target"
mv "$target.partial" "$target"
rm -rf "$work"
say "done: $target"
