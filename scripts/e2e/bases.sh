#!/usr/bin/env bash
# Puts together the base images the suite builds on, from Debian packages, for amd64 and arm64,
# and pushes them to the local registry (nothing can be pulled from Docker Hub or ghcr here):
#   e2e/busybox:1      busybox-static
#   e2e/static:nonroot the content of distroless/static (base-files, tzdata, netbase, media-types,
#                      CA bundle, nonroot = 65532, /tmp 1777), run as 65532
#   e2e/golang:1.24    busybox + Debian trixie's golang-1.24 (its go binary is static)
# Skips an image that is already in the registry.
set -euo pipefail
# shellcheck disable=SC1091
. "${BDI_STATE:-/var/lib/bdi-e2e}/env"
log() { printf '[bases] %s\n' "$*"; }
export DOCKER_CONFIG="$BDI_STATE/docker-config-bases"
mkdir -p "$DOCKER_CONFIG"
docker login -u "$BDI_REGISTRY_USER" --password-stdin "$BDI_REGISTRY" <"$BDI_REGISTRY_PASSWORD_FILE" >/dev/null

exists() { docker buildx imagetools inspect "$BDI_REGISTRY/$1" >/dev/null 2>&1; }
if exists e2e/busybox:1 && exists e2e/static:nonroot && exists e2e/golang:1.24 && exists e2e/binfmt:standin; then
  log "base images already in $BDI_REGISTRY"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fetch() { # fetch ARCH SUITE PKG... -> unpack into rootfs-ARCH-NAME
  local arch=$1 suite=$2 dest=$3; shift 3
  mkdir -p "debs/$arch" "$dest"
  (cd "debs/$arch" && for p in "$@"; do
    case $p in *:all) apt-get download -qq -t "$suite" "${p%:all}" ;; *) apt-get download -qq -t "$suite" "$p:$arch" ;; esac
  done) 2>&1 | grep -v 'unsandboxed' || true
  for d in "debs/$arch"/*.deb; do dpkg-deb -x "$d" "$dest"; done
  rm -f "debs/$arch"/*.deb
}

for arch in amd64 arm64; do
  # busybox
  fetch "$arch" bookworm "busybox/rootfs-$arch" busybox-static
  mkdir -p "busybox/rootfs-$arch/bin" "busybox/rootfs-$arch/tmp"
  chmod 1777 "busybox/rootfs-$arch/tmp"
  for a in sh ls cat echo uname id env mkdir cp rm test true false sleep; do ln -sf busybox "busybox/rootfs-$arch/bin/$a"; done

  # distroless/static equivalent
  s="static/rootfs-$arch"
  fetch "$arch" trixie "$s" base-files tzdata:all netbase:all media-types:all
  mkdir -p "$s/etc/ssl/certs" "$s/tmp" "$s/home/nonroot"
  cp /etc/ssl/certs/ca-certificates.crt "$s/etc/ssl/certs/ca-certificates.crt"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$s/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' >"$s/etc/group"
  chmod 1777 "$s/tmp"
  chown 65532:65532 "$s/home/nonroot"
  rm -rf "$s/usr/share/doc" "$s/usr/share/man"

  # Go builder: busybox + golang-1.24
  g="golang/rootfs-$arch"
  mkdir -p "$g"
  cp -a "busybox/rootfs-$arch/." "$g/"
  fetch "$arch" trixie "$g" golang-1.24-go golang-1.24-src:all
  rm -rf "$g/usr/share/doc" "$g/usr/share/man"
  mkdir -p "$g/root"
done

cat >busybox/Dockerfile <<'DF'
FROM scratch
ARG TARGETARCH
COPY rootfs-${TARGETARCH}/ /
ENV PATH=/bin
CMD ["/bin/sh"]
DF
cat >static/Dockerfile <<'DF'
FROM scratch
ARG TARGETARCH
COPY rootfs-${TARGETARCH}/ /
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
USER 65532:65532
WORKDIR /home/nonroot
DF
cat >golang/Dockerfile <<'DF'
FROM scratch
ARG TARGETARCH
COPY rootfs-${TARGETARCH}/ /
# Offline: never reach for a toolchain or module proxy.
ENV PATH=/usr/lib/go-1.24/bin:/bin HOME=/root GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=mod GOCACHE=/root/.cache/go-build
WORKDIR /src
DF
# STAND-IN for tonistiigi/binfmt (what docker/setup-qemu-action runs; it cannot be pulled here):
# Debian's static qemu-aarch64 and a script honouring `--install arm64`, which registers the
# handler with the F flag from inside a privileged container, as the real image does.
mkdir -p binfmt/rootfs/usr/bin binfmt/rootfs/bin
cp -a busybox/rootfs-amd64/. binfmt/rootfs/
cp /usr/bin/qemu-aarch64-static binfmt/rootfs/usr/bin/qemu-aarch64-static
python3 - binfmt/rootfs/aarch64.register <<'PY'
import sys
magic = b'\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00'
mask = b'\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'
esc = lambda b: ''.join('\\x%02x' % c for c in b)
open(sys.argv[1], 'w').write(':qemu-aarch64:M::%s:%s:/usr/bin/qemu-aarch64-static:FP\n' % (esc(magic), esc(mask)))
PY
cat >binfmt/rootfs/install.sh <<'SH'
#!/bin/sh
# binfmt installer stand-in: --install arm64
set -e
[ "$1" = --install ] || { echo "usage: --install arm64" >&2; exit 2; }
[ -e /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
for arch in $(echo "$2" | tr , ' '); do
  case $arch in
    arm64) [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || cat /aarch64.register > /proc/sys/fs/binfmt_misc/register
           echo "installed: qemu-aarch64" ;;
    *) echo "stand-in installs only arm64, not $arch" >&2; exit 1 ;;
  esac
done
SH
chmod 755 binfmt/rootfs/install.sh
cat >binfmt/Dockerfile <<'DF'
FROM scratch
COPY rootfs/ /
ENV PATH=/bin
ENTRYPOINT ["/bin/sh", "/install.sh"]
DF
log "building and pushing $BDI_REGISTRY/e2e/binfmt:standin (linux/amd64)"
docker buildx build -q --platform linux/amd64 --provenance=false -t "$BDI_REGISTRY/e2e/binfmt:standin" --push binfmt >/dev/null

for img in busybox:1 static:nonroot golang:1.24; do
  name=${img%%:*}
  log "building and pushing $BDI_REGISTRY/e2e/$img (linux/amd64, linux/arm64)"
  docker buildx build -q --platform linux/amd64,linux/arm64 --provenance=false \
    -t "$BDI_REGISTRY/e2e/$img" --push "$name" >/dev/null
done
log "base images pushed"
