#!/usr/bin/env bash
# Installs what the end-to-end suite needs on a Debian/Ubuntu machine (root or sudo):
#   - host packages from the machine's own suite (apt-get install): runc, QEMU user emulation,
#     the registry, htpasswd, iptables, debootstrap, tini (docker-init), and a cross C compiler
#     for arm64 (the cc base's smoke test links a cgo binary with it);
#   - the engine from Debian sid (docker.io 28.5, buildx 0.29, containerd 2.1) and cosign 2
#     (trixie), downloaded through lib.sh's private apt configuration and unpacked under
#     $BDI_PREFIX: nothing from sid or trixie is apt-installed, so the host's libc stays.
#     cosign 3, at the action's default, is built from its module by gotools.sh.
# The unpacked engine is reused only while its recipe key (this script, lib.sh and the exact
# .debs) is unchanged; each new one must answer its smoke test before the key is written.
# Facts behind each step: docs/e2e-environment.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export BDI_STEP=install
# shellcheck source=scripts/e2e/lib.sh
. "$here/lib.sh"

# Installed by apt-get on the host; the ones that were missing are recorded so that
# reset.sh purges exactly those and nothing the machine had before.
HOST_PKGS=(runc qemu-user-static binfmt-support docker-registry apache2-utils iptables ca-certificates
  debootstrap openssl curl dpkg-dev gcc libc6-dev gcc-aarch64-linux-gnu libc6-dev-arm64-cross python3 tini)
HOST_RECORD=/var/lib/bdi-e2e-host-packages

if ! command -v apt-get >/dev/null; then
  if docker info >/dev/null 2>&1 && docker buildx version >/dev/null 2>&1; then
    log "no apt-get; using the Docker engine and buildx already here"
    exit 0
  fi
  die "needs apt-get (Debian/Ubuntu) or an existing Docker engine with buildx"
fi
export DEBIAN_FRONTEND=noninteractive

# --- host packages -------------------------------------------------------------------------
missing=()
for p in "${HOST_PKGS[@]}"; do
  dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  printf '%s\n' "${missing[@]}" | as_root tee -a "$HOST_RECORD" >/dev/null
  retry 5 as_root apt-get update -qq --error-on=any || die "apt-get update failed 5 times (see above)"
  retry 3 as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    die "apt-get install failed for: ${missing[*]}"
fi

# --- engine and cosign, unpacked from sid and trixie ---------------------------------------
e2e_apt_update
sid_uris=$(deb_uris sid amd64 docker.io docker-cli containerd docker-buildx) || exit 1
trixie_uris=$(deb_uris trixie amd64 cosign) || exit 1
key=$(recipe_key "$here/install.sh" "$here/lib.sh" -- "$sid_uris" "$trixie_uris")
if [ "$(cat "$PREFIX/.key" 2>/dev/null)" = "$key" ]; then
  log "engine and cosign already unpacked under $PREFIX (key $key)"
else
  log "unpacking sid's docker.io, docker-cli, containerd, docker-buildx and trixie's cosign (key $key)"
  as_root rm -rf "$PREFIX"
  deb_unpack "$PREFIX/sid" sid amd64 docker.io docker-cli containerd docker-buildx
  deb_unpack "$PREFIX/trixie" trixie amd64 cosign
  mkdir -p "$PREFIX/bin"
  ln -s "$PREFIX/sid/usr/sbin/dockerd" "$PREFIX/bin/dockerd"
  ln -s "$PREFIX/sid/usr/bin/docker" "$PREFIX/bin/docker"
  for b in containerd containerd-shim-runc-v2 ctr; do
    [ -e "$PREFIX/sid/usr/bin/$b" ] || die "sid's containerd package has no usr/bin/$b"
    ln -s "$PREFIX/sid/usr/bin/$b" "$PREFIX/bin/$b"
  done
  ln -s "$PREFIX/trixie/usr/bin/cosign" "$PREFIX/bin/cosign2"
  # `docker run --init` (the docker-container buildx driver uses it) runs docker-init: tini.
  ln -s /usr/bin/tini-static "$PREFIX/bin/docker-init"
  # Smoke test before the key is written: each binary runs on this libc.
  for cmd in "bin/dockerd --version" "bin/containerd --version" "bin/docker --version" \
    "sid/usr/libexec/docker/cli-plugins/docker-buildx version" "bin/cosign2 version" \
    "bin/docker-init --version"; do
    read -r -a argv <<<"$cmd"
    out=$("$PREFIX/${argv[0]}" "${argv[@]:1}" 2>&1) || die "$PREFIX/$cmd does not run here: $out"
  done
  printf '%s\n' "$key" >"$PREFIX/.key"
fi
as_root mkdir -p /usr/local/lib/docker/cli-plugins
as_root ln -sfn "$PREFIX/sid/usr/libexec/docker/cli-plugins/docker-buildx" /usr/local/lib/docker/cli-plugins/docker-buildx
log "ready: $("$PREFIX/bin/docker" --version); buildx $("$PREFIX/bin/docker" buildx version | awk '{print $2}')"
