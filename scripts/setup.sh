#!/usr/bin/env bash
# Installs everything fledge needs on a fresh Debian 12 machine with Node 20, as root:
# Debian packages, npm packages, the compiled tree and the playground's cluster binaries.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(etcd-server prometheus hey jq rsync golang-go dpkg-dev golang-github-modern-go-reflect2-dev chromium buildah podman runc openssl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi

echo "setup: npm packages"
npm ci --no-audit --no-fund
echo "setup: compiling"
npm run build --silent
if [ -x scripts/build-kube.sh ]; then
  bash scripts/build-kube.sh
fi
echo "setup: done"
