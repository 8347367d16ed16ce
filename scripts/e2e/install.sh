#!/usr/bin/env bash
# Installs what the end-to-end suite needs on a Debian/Ubuntu machine (root or sudo):
# Docker engine + buildx + containerd (from Debian sid, unpacked, not apt-installed, so the host's
# libc is untouched), QEMU user emulation, a registry, cosign 3 (sid) and cosign 2 (trixie).
# Idempotent: a second run only checks. Facts behind each step: ../shared/e2e-environment.md.
set -euo pipefail

PREFIX=${BDI_PREFIX:-/opt/bdi-e2e}
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
log() { printf '[install] %s\n' "$*"; }

# An engine with buildx that already answers (a machine without apt can still run the suite).
have_engine() { docker info >/dev/null 2>&1 && docker buildx version >/dev/null 2>&1; }

if [ -f "$PREFIX/.complete" ]; then
  log "already installed under $PREFIX"
  exit 0
fi

if ! command -v apt-get >/dev/null; then
  if have_engine; then log "no apt-get; using the Docker engine and buildx already here"; exit 0; fi
  echo "install.sh: needs apt-get (Debian/Ubuntu) or an existing Docker engine with buildx" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# sid and trixie at a low pin so nothing from them is ever installed by accident.
if [ ! -f /etc/apt/sources.list.d/bdi-e2e.sources ]; then
  $SUDO tee /etc/apt/sources.list.d/bdi-e2e.sources >/dev/null <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: sid trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  $SUDO tee /etc/apt/preferences.d/bdi-e2e >/dev/null <<'PIN'
Package: *
Pin: release n=sid
Pin-Priority: 50

Package: *
Pin: release n=trixie
Pin-Priority: 50
PIN
fi
# arm64 package lists: the base images are put together from Debian packages of both arches.
dpkg --print-foreign-architectures | grep -qx arm64 || $SUDO dpkg --add-architecture arm64
log "apt-get update"
$SUDO apt-get update -qq

log "host packages: runc, qemu-user-static, binfmt-support, docker-registry, apache2-utils, iptables"
$SUDO apt-get install -y -qq --no-install-recommends \
  runc qemu-user-static binfmt-support docker-registry apache2-utils iptables ca-certificates debootstrap \
  openssl curl dpkg-dev >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
log "downloading docker.io, docker-cli, containerd, docker-buildx, cosign from sid"
apt-get download -qq -t sid docker.io docker-cli containerd docker-buildx cosign
mkdir -p "$PREFIX/sid" "$PREFIX/trixie"
for deb in ./*.deb; do dpkg-deb -x "$deb" "$PREFIX/sid"; done
rm -f ./*.deb
log "downloading cosign 2 from trixie"
apt-get download -qq -t trixie cosign
dpkg-deb -x ./cosign_*.deb "$PREFIX/trixie"

mkdir -p "$PREFIX/bin"
ln -sf "$PREFIX/sid/usr/sbin/dockerd" "$PREFIX/bin/dockerd"
ln -sf "$PREFIX/sid/usr/bin/docker" "$PREFIX/bin/docker"
for b in containerd containerd-shim-runc-v2 ctr; do
  [ -e "$PREFIX/sid/usr/bin/$b" ] && ln -sf "$PREFIX/sid/usr/bin/$b" "$PREFIX/bin/$b"
done
ln -sf "$PREFIX/sid/usr/bin/cosign" "$PREFIX/bin/cosign"
ln -sf "$PREFIX/trixie/usr/bin/cosign" "$PREFIX/bin/cosign2"
$SUDO mkdir -p /usr/local/lib/docker/cli-plugins
$SUDO ln -sf "$PREFIX/sid/usr/libexec/docker/cli-plugins/docker-buildx" /usr/local/lib/docker/cli-plugins/docker-buildx

touch "$PREFIX/.complete"
log "done: $("$PREFIX/bin/docker" --version); buildx $("$PREFIX/bin/docker" buildx version | awk '{print $2}')"
