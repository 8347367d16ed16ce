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
if exists e2e/busybox:1 && exists e2e/static:nonroot && exists e2e/golang:1.24; then
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
for img in busybox:1 static:nonroot golang:1.24; do
  name=${img%%:*}
  log "building and pushing $BDI_REGISTRY/e2e/$img (linux/amd64, linux/arm64)"
  docker buildx build -q --platform linux/amd64,linux/arm64 --provenance=false \
    -t "$BDI_REGISTRY/e2e/$img" --push "$name" >/dev/null
done
log "base images pushed"
