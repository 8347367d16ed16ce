#!/usr/bin/env bash
# Puts together the base images the suite builds on, from Debian packages, and pushes them to the
# local registry (nothing can be pulled from Docker Hub or gcr.io here). Each is built only when
# it is not in the registry yet.
#   e2e/busybox:1       amd64+arm64  busybox-static
#   e2e/static:nonroot  amd64+arm64+arm/v7+ppc64le (the last two for the benchmark's scaling runs)
#                                    the content of distroless/static: base-files, tzdata, netbase,
#                                    media-types, CA bundle, nonroot = 65532, /tmp 1777; user 65532
#   e2e/cc:nonroot      amd64+arm64  distroless/cc's content: the above plus libc6, libgcc-s1, libstdc++6
#   e2e/golang:1.24     amd64+arm64  busybox + Debian trixie's golang-1.24 (its go binary is static)
#   e2e/golang:trixie   amd64        Debian trixie (debootstrap) + golang-1.24 + gcc: the official
#                                    golang:trixie image's role, with apt for the cc template
#   e2e/binfmt:standin  amd64        STAND-IN for tonistiigi/binfmt: Debian's qemu-aarch64-static
set -euo pipefail
# shellcheck disable=SC1091
. "${BDI_STATE:-/var/lib/bdi-e2e}/env"
log() { printf '[bases] %s\n' "$*"; }
export DOCKER_CONFIG="$BDI_STATE/docker-config-bases"
mkdir -p "$DOCKER_CONFIG"
docker login -u "$BDI_REGISTRY_USER" --password-stdin "$BDI_REGISTRY" <"$BDI_REGISTRY_PASSWORD_FILE" >/dev/null 2>&1
R=$BDI_REGISTRY

exists() { docker buildx imagetools inspect "$R/$1" >/dev/null 2>&1; }
has_platform() { docker buildx imagetools inspect --raw "$R/$1" 2>/dev/null | grep -q "\"architecture\": *\"$2\""; }
# Debian arches whose packages the bases are made of (apt-get download ARCH needs their lists).
need_arches() {
  local added=""
  for a in "$@"; do
    dpkg --print-foreign-architectures | grep -qx "$a" || { $SUDO dpkg --add-architecture "$a"; added=1; }
  done
  # A security mirror caught mid-sync fails the update without touching the lists used here.
  [ -z "$added" ] || { log "apt-get update for $*"; $SUDO apt-get update -qq || log "apt-get update reported errors; going on with the lists it fetched"; }
}
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

fetch() { # fetch ARCH SUITE DEST PKG... : download and unpack into DEST (PKG:all for arch-independent)
  local arch=$1 suite=$2 dest=$3; shift 3
  mkdir -p "debs-$arch" "$dest"
  (cd "debs-$arch" && for p in "$@"; do
    case $p in *:all) apt-get download -qq -t "$suite" "${p%:all}" ;; *) apt-get download -qq -t "$suite" "$p:$arch" ;; esac
  done) 2>&1 | grep -v 'unsandboxed' || true
  for d in "debs-$arch"/*.deb; do dpkg-deb -x "$d" "$dest"; done
  rm -f "debs-$arch"/*.deb
}
push() { # push NAME:TAG PLATFORMS DIR
  log "building and pushing $R/e2e/$1 ($2)"
  docker buildx build -q --platform "$2" --provenance=false -t "$R/e2e/$1" --push "$3" >/dev/null
}
scratch_dockerfile() { # per-arch rootfs directories rootfs-<arch>
  printf 'FROM scratch\nARG TARGETARCH\nCOPY rootfs-${TARGETARCH}/ /\n%s\n' "$1" >"$2/Dockerfile"
}
busybox_rootfs() { # busybox_rootfs ARCH DEST
  fetch "$1" bookworm "$2" busybox-static
  mkdir -p "$2/bin" "$2/tmp"
  chmod 1777 "$2/tmp"
  for a in sh ls cat echo uname id env mkdir cp rm test true false sleep tr mount; do ln -sf busybox "$2/bin/$a"; done
}
static_rootfs() { # static_rootfs ARCH DEST
  fetch "$1" trixie "$2" base-files tzdata:all netbase:all media-types:all
  mkdir -p "$2/etc/ssl/certs" "$2/tmp" "$2/home/nonroot"
  cp /etc/ssl/certs/ca-certificates.crt "$2/etc/ssl/certs/ca-certificates.crt"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$2/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' >"$2/etc/group"
  chmod 1777 "$2/tmp"
  chown 65532:65532 "$2/home/nonroot"
  rm -rf "$2/usr/share/doc" "$2/usr/share/man"
}

if ! exists e2e/busybox:1; then
  for a in amd64 arm64; do busybox_rootfs "$a" "busybox/rootfs-$a"; done
  scratch_dockerfile $'ENV PATH=/bin\nCMD ["/bin/sh"]' busybox
  push busybox:1 linux/amd64,linux/arm64 busybox
fi

if ! has_platform e2e/static:nonroot ppc64le; then
  need_arches arm64 armhf ppc64el
  # rootfs-<TARGETARCH>: Debian's armhf is BuildKit's arm (v7), ppc64el its ppc64le.
  for a in amd64:amd64 arm64:arm64 armhf:arm ppc64el:ppc64le; do static_rootfs "${a%%:*}" "static/rootfs-${a#*:}"; done
  scratch_dockerfile $'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt\nUSER 65532:65532\nWORKDIR /home/nonroot' static
  push static:nonroot linux/amd64,linux/arm64,linux/arm/v7,linux/ppc64le static
fi

if ! exists e2e/cc:nonroot; then
  for a in amd64 arm64; do
    static_rootfs "$a" "cc/rootfs-$a"
    fetch "$a" trixie "cc/rootfs-$a" libc6 libgcc-s1 libstdc++6 gcc-14-base
    # merged /usr: the dynamic loader is found through /lib and /lib64
    for l in lib lib64; do [ -e "cc/rootfs-$a/$l" ] || [ ! -d "cc/rootfs-$a/usr/$l" ] || ln -s "usr/$l" "cc/rootfs-$a/$l"; done
    rm -rf "cc/rootfs-$a/usr/share/doc" "cc/rootfs-$a/usr/share/man" "cc/rootfs-$a/usr/share/locale"
  done
  scratch_dockerfile $'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt\nUSER 65532:65532\nWORKDIR /home/nonroot' cc
  push cc:nonroot linux/amd64,linux/arm64 cc
fi

if ! exists e2e/golang:1.24; then
  for a in amd64 arm64; do
    busybox_rootfs "$a" "golang/rootfs-$a"
    fetch "$a" trixie "golang/rootfs-$a" golang-1.24-go golang-1.24-src:all
    rm -rf "golang/rootfs-$a/usr/share/doc" "golang/rootfs-$a/usr/share/man"
    mkdir -p "golang/rootfs-$a/root"
  done
  # Offline: never reach for a toolchain or module proxy.
  scratch_dockerfile $'ENV PATH=/usr/lib/go-1.24/bin:/bin HOME=/root GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=mod GOCACHE=/root/.cache/go-build\nWORKDIR /src' golang
  push golang:1.24 linux/amd64,linux/arm64 golang
fi

if ! exists e2e/golang:trixie; then
  log "debootstrap trixie (minbase)"
  debootstrap --variant=minbase --include=ca-certificates trixie trixie-root http://deb.debian.org/debian >"$BDI_STATE/debootstrap.log" 2>&1 ||
    { tail -20 "$BDI_STATE/debootstrap.log" >&2; exit 1; }
  tar -C trixie-root -c . | docker import - "$R/e2e/debian:trixie" >/dev/null
  docker push -q "$R/e2e/debian:trixie" >/dev/null
  mkdir -p golang-trixie
  cat >golang-trixie/Dockerfile <<DF
FROM $R/e2e/debian:trixie
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends golang-1.24-go gcc libc6-dev >/dev/null && rm -rf /var/lib/apt/lists/*
ENV PATH=/usr/lib/go-1.24/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=mod
DF
  push golang:trixie linux/amd64 golang-trixie
fi

if ! exists e2e/binfmt:standin; then
  # What docker/setup-qemu-action runs, tonistiigi/binfmt, cannot be pulled here: this stand-in
  # honours `--install arm64`, registering Debian's static qemu-aarch64 with the F flag from
  # inside a privileged container, as the real image does.
  busybox_rootfs amd64 binfmt/rootfs
  mkdir -p binfmt/rootfs/usr/bin
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
    arm64) [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || cat /aarch64.register >/proc/sys/fs/binfmt_misc/register
           echo "installed: qemu-aarch64" ;;
    *) echo "stand-in installs only arm64, not $arch" >&2; exit 1 ;;
  esac
done
SH
  chmod 755 binfmt/rootfs/install.sh
  printf 'FROM scratch\nCOPY rootfs/ /\nENV PATH=/bin\nENTRYPOINT ["/bin/sh", "/install.sh"]\n' >binfmt/Dockerfile
  push binfmt:standin linux/amd64 binfmt
fi
log "base images ready in $R"
