#!/usr/bin/env bash
# Puts together the base images the suite builds on, from Debian packages, and pushes them to the
# local registry (nothing can be pulled from Docker Hub or gcr.io here):
#   e2e/busybox:1       amd64 arm64                  busybox-static
#   e2e/static:nonroot  amd64 arm64 (+ arm/v7        the content of distroless/static: base-files,
#                       riscv64 with BDI_EXTRA_      tzdata, netbase, media-types, CA bundle, their
#                       ARCHES, for the benchmark)   records in /var/lib/dpkg/status.d, nonroot =
#                                                    65532, /tmp 1777; user 65532
#   e2e/cc:nonroot      amd64 arm64                  distroless/cc's content: the above plus libc6,
#                                                    libgcc-s1, libstdc++6
#   e2e/golang:1.24     amd64 arm64                  busybox + trixie's golang-1.24 (static go)
#   e2e/golang:trixie   amd64                        Debian trixie (debootstrap) + golang-1.24 + gcc:
#                                                    golang:trixie's role, with apt for the cc template,
#                                                    and git (as golang:trixie has); it trusts the e2e
#                                                    CA, as a company's builder trusts its own, so the
#                                                    private-module test reaches its git server
#   e2e/golang:1.27     amd64                        golang:trixie + sid's golang-1.27: the Go line the
#                                                    templates pin (golang:1.27.x-trixie)
#   e2e/binfmt:standin  amd64                        STAND-IN for tonistiigi/binfmt: Debian's
#                                                    qemu-aarch64-static and an --install arm64 script
# Every image is built into the local engine first and smoke-tested on each of its platforms
# (under QEMU where foreign); only an image that passed is pushed, under its tag and under
# recipe-<KEY>. KEY is a sha256 over this script, lib.sh and the exact .debs (or, for debootstrap,
# the suite's signed Release) that went in: a later run reuses an image only under the same KEY.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export BDI_STEP=bases
# shellcheck source=scripts/e2e/lib.sh
. "$here/lib.sh"
# shellcheck disable=SC1091
. "$STATE/env"
export DOCKER_CONFIG="$STATE/docker-config-bases"
mkdir -p "$DOCKER_CONFIG"
out=$(docker login -u "$BDI_REGISTRY_USER" --password-stdin "$BDI_REGISTRY" <"$BDI_REGISTRY_PASSWORD_FILE" 2>&1) ||
  die "docker login to $BDI_REGISTRY failed: $out"
R=$BDI_REGISTRY
RECIPE=("$here/bases.sh" "$here/lib.sh")
e2e_apt_update

work=$(mktemp -d)
local_images=()
cleanup() {
  local rc=$?
  [ ${#local_images[@]} -eq 0 ] || docker image rm -f "${local_images[@]}" >/dev/null 2>&1 || true
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
cd "$work"

platform_of() { # Debian arch -> OCI platform
  case $1 in
    amd64) echo linux/amd64 ;; arm64) echo linux/arm64 ;; armhf) echo linux/arm/v7 ;; ppc64el) echo linux/ppc64le ;; riscv64) echo linux/riscv64 ;;
    *) die "no platform for Debian arch $1" ;;
  esac
}
targetarch_of() { # Debian arch -> BuildKit's TARGETARCH (the rootfs-<TARGETARCH> directory)
  case $1 in armhf) echo arm ;; ppc64el) echo ppc64le ;; *) echo "$1" ;; esac
}
uname_of() { # Debian arch -> what `uname -m` prints on it
  case $1 in amd64) echo x86_64 ;; arm64) echo aarch64 ;; armhf) echo armv7l ;; ppc64el) echo ppc64le ;; riscv64) echo riscv64 ;; esac
}

# reuse NAME:TAG KEY: true (and the tag re-pointed) when the registry has the image this recipe made.
reuse() {
  local ref="$R/e2e/$1" key=$2 out
  # A probe: "not found" is the expected answer when the recipe changed.
  docker buildx imagetools inspect "${ref%:*}:recipe-$key" >/dev/null 2>&1 || return 1
  out=$(docker buildx imagetools create -t "$ref" "${ref%:*}:recipe-$key" 2>&1) ||
    die "could not point $ref at ${ref%:*}:recipe-$key: $out"
  log "$ref: reused (recipe $key)"
}
# build_local NAME:TAG KEY PLATFORMS DIR: build into the engine only; nothing is pushed yet.
# Sets built_at, which publish reports.
build_local() {
  local ref="$R/e2e/$1" key=$2
  log "building $ref ($3, recipe $key)"
  built_at=$(date +%s)
  local_images+=("$ref" "${ref%:*}:recipe-$key")
  docker buildx build -q --platform "$3" --provenance=false -t "$ref" -t "${ref%:*}:recipe-$key" --load "$4" >/dev/null ||
    die "docker buildx build of $ref failed"
}
# publish NAME:TAG KEY: push an image that passed its smoke test, then drop the local copy so the
# engine holds only what the tests themselves pull.
publish() {
  local ref="$R/e2e/$1" key=$2
  retry 3 docker push -q "$ref" >/dev/null || die "docker push $ref failed"
  retry 3 docker push -q "${ref%:*}:recipe-$key" >/dev/null || die "docker push ${ref%:*}:recipe-$key failed"
  docker image rm -f "$ref" "${ref%:*}:recipe-$key" >/dev/null
  log "$ref: smoke-tested and pushed ($(($(date +%s) - built_at)) s)"
}
# smoke NAME:TAG ARCH WHAT CMD...: run CMD in the image on ARCH's platform; fail naming both.
smoke() {
  local ref="$R/e2e/$1" arch=$2 what=$3 out
  shift 3
  if ! out=$(docker run --rm --network none --platform "$(platform_of "$arch")" "$@" 2>&1); then
    die "smoke test failed: $ref on $(platform_of "$arch"): $what
$out"
  fi
  printf '%s' "$out"
}
# scratch_dockerfile EXTRA DIR: per-arch rootfs-<TARGETARCH> directories. COPY makes everything
# root-owned, so a home owned by 65532 comes from the empty nonroot-home/ with --chown.
scratch_dockerfile() {
  mkdir -p "$2/nonroot-home"
  # shellcheck disable=SC2016
  printf 'FROM scratch\nARG TARGETARCH\nCOPY rootfs-${TARGETARCH}/ /\n%s\n' "$1" >"$2/Dockerfile"
}

# --- package lists, resolved once: their sha256s are part of each key ----------------------
BUSYBOX_ARCHES=$E2E_ARCHES
STATIC_PKGS=(base-files tzdata:all netbase:all media-types:all)
CC_PKGS=(libc6 libgcc-s1 libstdc++6 gcc-14-base)
GO_PKGS=(golang-1.24-go golang-1.24-src:all)
busybox_uris=$(deb_uris trixie "$BUSYBOX_ARCHES" busybox-static) || exit 1
static_uris=$(deb_uris trixie "$E2E_ARCHES" "${STATIC_PKGS[@]}") || exit 1
cc_uris=$(deb_uris trixie "amd64 arm64" "${CC_PKGS[@]}") || exit 1
go_uris=$(deb_uris trixie "amd64 arm64" "${GO_PKGS[@]}") || exit 1
ca_sum=$(sha256_of /etc/ssl/certs/ca-certificates.crt)

busybox_rootfs() { # busybox_rootfs ARCH DEST
  local arch=$1 dest=$2 applet
  deb_unpack "$dest" trixie "$arch" busybox-static
  mkdir -p "$dest/bin" "$dest/tmp"
  # trixie ships it as usr/bin/busybox (merged /usr); the images have no /usr/bin on PATH.
  [ -e "$dest/bin/busybox" ] || mv "$dest/usr/bin/busybox" "$dest/bin/busybox" || die "no busybox in trixie's busybox-static ($arch)"
  chmod 1777 "$dest/tmp"
  for applet in sh ls cat echo uname id env mkdir cp rm test true false sleep tr mount grep stat touch; do
    ln -sf busybox "$dest/bin/$applet"
  done
}
static_rootfs() { # static_rootfs ARCH DEST
  local arch=$1 dest=$2
  deb_unpack "$dest" trixie "$arch" "${STATIC_PKGS[@]}"
  # The vulnerability gate's e2e tests need a scanner to find the Debian packages here.
  deb_status "$dest" trixie "$arch" "${STATIC_PKGS[@]}"
  mkdir -p "$dest/etc/ssl/certs" "$dest/tmp" "$dest/home"
  cp /etc/ssl/certs/ca-certificates.crt "$dest/etc/ssl/certs/ca-certificates.crt"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$dest/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' >"$dest/etc/group"
  chmod 1777 "$dest/tmp"
  rm -rf "$dest/usr/share/doc" "$dest/usr/share/man"
}
# A static busybox per arch, mounted into the images that have no shell of their own.
for arch in $BUSYBOX_ARCHES; do busybox_rootfs "$arch" "bb/$arch"; done

# The distroless-content checks, run as the image's own user with the mounted busybox.
# shellcheck disable=SC2016 # expanded inside the container
NONROOT_CHECK='set -e
[ "$(/.bdi/busybox id -u)" = 65532 ] || { echo "user is $(/.bdi/busybox id -u), not 65532"; exit 1; }
[ "$(/.bdi/busybox id -g)" = 65532 ] || { echo "group is $(/.bdi/busybox id -g), not 65532"; exit 1; }
/.bdi/busybox grep -q "^nonroot:x:65532:65532:" /etc/passwd || { echo "no nonroot 65532 in /etc/passwd"; exit 1; }
/.bdi/busybox grep -q "BEGIN CERTIFICATE" /etc/ssl/certs/ca-certificates.crt || { echo "no CA bundle"; exit 1; }
/.bdi/busybox test -f /usr/share/zoneinfo/Etc/UTC || { echo "no tzdata"; exit 1; }
[ "$(/.bdi/busybox stat -c %a /tmp)" = 1777 ] || { echo "/tmp is not 1777"; exit 1; }
/.bdi/busybox touch /tmp/w && /.bdi/busybox test -w /home/nonroot || { echo "cannot write /tmp or /home/nonroot"; exit 1; }'
check_nonroot() { # check_nonroot NAME:TAG ARCH
  smoke "$1" "$2" "user 65532, CA bundle, tzdata, /tmp" -v "$work/bb/$2/bin/busybox:/.bdi/busybox:ro" \
    --entrypoint /.bdi/busybox "$R/e2e/$1" sh -c "$NONROOT_CHECK" >/dev/null
}

# --- e2e/busybox:1 -------------------------------------------------------------------------
key=$(recipe_key "${RECIPE[@]}" -- busybox "$busybox_uris")
if ! reuse busybox:1 "$key"; then
  mkdir -p busybox
  for arch in amd64 arm64; do cp -a "bb/$arch" "busybox/rootfs-$arch"; done
  scratch_dockerfile $'ENV PATH=/bin\nCMD ["/bin/sh"]' busybox
  build_local busybox:1 "$key" linux/amd64,linux/arm64 busybox
  for arch in amd64 arm64; do
    smoke busybox:1 "$arch" "sh -c true" "$R/e2e/busybox:1" sh -c true >/dev/null
    m=$(smoke busybox:1 "$arch" "uname -m" "$R/e2e/busybox:1" uname -m)
    [ "$m" = "$(uname_of "$arch")" ] || die "smoke test failed: $R/e2e/busybox:1 on $arch runs as $m"
  done
  publish busybox:1 "$key"
fi

# --- e2e/static:nonroot --------------------------------------------------------------------
key=$(recipe_key "${RECIPE[@]}" -- static "$static_uris" "$ca_sum")
if ! reuse static:nonroot "$key"; then
  plats=()
  for arch in $E2E_ARCHES; do
    static_rootfs "$arch" "static/rootfs-$(targetarch_of "$arch")"
    plats+=("$(platform_of "$arch")")
  done
  scratch_dockerfile $'COPY --chown=65532:65532 nonroot-home/ /home/nonroot/\nENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt\nUSER 65532:65532\nWORKDIR /home/nonroot' static
  build_local static:nonroot "$key" "$(IFS=,; echo "${plats[*]}")" static
  for arch in $E2E_ARCHES; do check_nonroot static:nonroot "$arch"; done
  publish static:nonroot "$key"
fi

# --- e2e/golang:1.24 -----------------------------------------------------------------------
# Only the runtime, to keep the compile short. On amd64 the smoke test builds and runs it; on arm64
# it runs the toolchain's binaries under QEMU and runs hello cross-compiled by the amd64 image:
# compiling the standard library under QEMU takes a minute, and the e2e suite's kubebuilder-layout
# test (arch.test.ts) does exactly that anyway.
HELLO='package main

import "runtime"

func main() { println("hello " + runtime.GOOS + "/" + runtime.GOARCH) }'
key=$(recipe_key "${RECIPE[@]}" -- golang "$busybox_uris" "$go_uris")
if ! reuse golang:1.24 "$key"; then
  mkdir -p golang
  for arch in amd64 arm64; do
    cp -a "bb/$arch" "golang/rootfs-$arch"
    deb_unpack "golang/rootfs-$arch" trixie "$arch" "${GO_PKGS[@]}"
    rm -rf "golang/rootfs-$arch/usr/share/doc" "golang/rootfs-$arch/usr/share/man"
    mkdir -p "golang/rootfs-$arch/root"
  done
  # Offline: never reach for a toolchain or module proxy.
  scratch_dockerfile $'ENV PATH=/usr/lib/go-1.24/bin:/bin HOME=/root GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=mod GOCACHE=/root/.cache/go-build\nWORKDIR /src' golang
  build_local golang:1.24 "$key" linux/amd64,linux/arm64 golang
  printf '%s\n' "$HELLO" >hello.go
  mkdir -m 777 hello-out
  out=$(smoke golang:1.24 amd64 "go version; go build of a hello program for amd64 and arm64" -v "$work/hello.go:/src/hello.go:ro" -v "$work/hello-out:/out" \
    "$R/e2e/golang:1.24" sh -c 'go version && go build -o /out/hello-amd64 /src/hello.go && GOARCH=arm64 go build -o /out/hello-arm64 /src/hello.go && /out/hello-amd64')
  grep -q "^go version go1.24" <<<"$out" || die "smoke test failed: golang:1.24 on amd64: go version printed: $out"
  grep -qx "hello linux/amd64" <<<"$out" || die "smoke test failed: golang:1.24 on amd64: hello printed: $out"
  out=$(smoke golang:1.24 arm64 "go version, go tool compile and link under QEMU; the cross-compiled hello" -v "$work/hello-out:/out:ro" \
    "$R/e2e/golang:1.24" sh -c 'go version && go tool compile -V=full && go tool link -V=full && /out/hello-arm64')
  grep -q "^go version go1.24.* linux/arm64" <<<"$out" || die "smoke test failed: golang:1.24 on arm64: go version printed: $out"
  [ "$(grep -cE "^(compile|link) version go1\.24" <<<"$out")" = 2 ] || die "smoke test failed: golang:1.24 on arm64: go tool compile/link -V printed: $out"
  grep -qx "hello linux/arm64" <<<"$out" || die "smoke test failed: golang:1.24 on arm64: hello printed: $out"
  publish golang:1.24 "$key"
fi

# --- e2e/cc:nonroot ------------------------------------------------------------------------
CGO_HELLO='package main

/*
static int answer(void) { return 42; }
*/
import "C"

import (
	"fmt"
	"runtime"
)

func main() { fmt.Printf("cgo %d %s/%s\n", int(C.answer()), runtime.GOOS, runtime.GOARCH) }'
key=$(recipe_key "${RECIPE[@]}" -- cc "$static_uris" "$cc_uris" "$ca_sum")
if ! reuse cc:nonroot "$key"; then
  for arch in amd64 arm64; do
    static_rootfs "$arch" "cc/rootfs-$arch"
    deb_unpack "cc/rootfs-$arch" trixie "$arch" "${CC_PKGS[@]}"
    # merged /usr: the dynamic loader is found through /lib and /lib64
    for l in lib lib64; do [ -e "cc/rootfs-$arch/$l" ] || [ ! -d "cc/rootfs-$arch/usr/$l" ] || ln -s "usr/$l" "cc/rootfs-$arch/$l"; done
    rm -rf "cc/rootfs-$arch/usr/share/doc" "cc/rootfs-$arch/usr/share/man" "cc/rootfs-$arch/usr/share/locale"
  done
  scratch_dockerfile $'COPY --chown=65532:65532 nonroot-home/ /home/nonroot/\nENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt\nUSER 65532:65532\nWORKDIR /home/nonroot' cc
  build_local cc:nonroot "$key" linux/amd64,linux/arm64 cc
  # A cgo binary per arch, linked on the host (gcc, aarch64-linux-gnu-gcc) with trixie's go.
  deb_unpack gotool trixie amd64 "${GO_PKGS[@]}"
  mkdir -p cgo && printf '%s\n' "$CGO_HELLO" >cgo/main.go
  for arch in amd64 arm64; do
    cc=gcc
    [ "$arch" = amd64 ] || cc=aarch64-linux-gnu-gcc
    (cd cgo && env GOCACHE="$work/gocache" GOPATH="$work/gopath" GOTOOLCHAIN=local GOPROXY=off GO111MODULE=off \
      CGO_ENABLED=1 GOOS=linux GOARCH="$arch" CC="$cc" "$work/gotool/usr/lib/go-1.24/bin/go" build -o "../cgo-$arch" .) ||
      die "could not link the cgo smoke binary for $arch with $cc"
    check_nonroot cc:nonroot "$arch"
    out=$(smoke cc:nonroot "$arch" "a cgo binary through the image's dynamic loader" \
      -v "$work/cgo-$arch:/cgo-hello:ro" "$R/e2e/cc:nonroot" /cgo-hello)
    [ "$out" = "cgo 42 linux/$arch" ] || die "smoke test failed: cc:nonroot on $arch: the cgo binary printed: $out"
  done
  publish cc:nonroot "$key"
fi

# --- e2e/golang:trixie ---------------------------------------------------------------------
trixie_release=$(grep -h -m1 '^Date:' "$E2E_APT"/lists/*_dists_trixie_InRelease) || die "no trixie InRelease in $E2E_APT/lists"
trixie_uris=$(deb_uris trixie amd64 golang-1.24-go gcc libc6-dev git) || exit 1
# debootstrap_trixie DEST: the root of e2e/golang:trixie before the e2e CA goes in.
debootstrap_trixie() {
  mkdir -p "$DEB_CACHE"
  if ! retry 3 debootstrap --variant=minbase --cache-dir="$DEB_CACHE" \
      --include=ca-certificates,golang-1.24-go,gcc,libc6-dev,git trixie "$1" http://deb.debian.org/debian \
      >"$STATE/debootstrap.log" 2>&1; then
    tail -20 "$STATE/debootstrap.log" >&2
    die "debootstrap trixie failed (log: $STATE/debootstrap.log)"
  fi
  rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/archives/*.deb
}
# The e2e CA is made anew by each setup from nothing: it is part of the image's key. The root
# before the CA goes in is keyed by the function that makes it and the suite's InRelease date
# (which pins every package debootstrap chose), not by the rest of this script; it is kept in
# $ROOTS_CACHE once the image made from it passed its smoke test, so a setup after a reset, or
# after an edit elsewhere in this script, skips the debootstrap.
ROOTS_CACHE=${BDI_ROOTS_CACHE:-/var/cache/bdi-e2e/roots}
root_key=$(recipe_key -- golang-trixie-root "$(declare -f debootstrap_trixie)" "$trixie_release" "$trixie_uris")
root_tar="$ROOTS_CACHE/golang-trixie-$root_key.tar"
key=$(recipe_key "${RECIPE[@]}" -- golang-trixie "$trixie_release" "$trixie_uris" "$(sha256_of "$BDI_REGISTRY_CA")")
if ! reuse golang:trixie "$key"; then
  built_at=$(date +%s)
  mkdir -p trixie-root
  if [ -f "$root_tar" ]; then
    log "trixie root from $root_tar (recipe $root_key; stored after its image passed the smoke test)"
    tar -C trixie-root -xf "$root_tar" || die "unpacking $root_tar failed"
  else
    log "debootstrap trixie (minbase, with golang-1.24-go gcc libc6-dev git; .debs cached in $DEB_CACHE)"
    debootstrap_trixie trixie-root
    tar -C trixie-root -cf root.tar . || die "archiving the trixie root failed"
  fi
  cp "$BDI_REGISTRY_CA" trixie-root/usr/local/share/ca-certificates/bdi-e2e.crt
  chroot trixie-root update-ca-certificates >/dev/null || die "update-ca-certificates in the trixie root failed"
  ref="$R/e2e/golang:trixie"
  local_images+=("$ref" "$R/e2e/golang:recipe-$key")
  tar -C trixie-root -c . | docker import --platform linux/amd64 \
    --change 'ENV PATH=/usr/lib/go-1.24/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=mod' - "$ref" >/dev/null || die "docker import of $ref failed"
  docker tag "$ref" "$R/e2e/golang:recipe-$key"
  printf '%s\n' "$CGO_HELLO" >cgo-main.go
  # shellcheck disable=SC2016 # expanded inside the image, where the CA must be in the bundle
  out=$(smoke golang:trixie amd64 "apt, git, the e2e CA, go version, a cgo build" -v "$work/cgo-main.go:/src/main.go:ro" "$ref" \
    sh -c 'apt-get --version >/dev/null && git --version >/dev/null && grep -q "$(sed -n 2p /usr/local/share/ca-certificates/bdi-e2e.crt)" /etc/ssl/certs/ca-certificates.crt && go version && cd /src && CGO_ENABLED=1 GO111MODULE=off go build -o /tmp/c . && /tmp/c')
  grep -qx "cgo 42 linux/amd64" <<<"$out" || die "smoke test failed: golang:trixie: $out"
  publish golang:trixie "$key"
  if [ -f root.tar ]; then
    mkdir -p "$ROOTS_CACHE"
    rm -f "$ROOTS_CACHE"/golang-trixie-*.tar
    mv root.tar "$root_tar.part" && mv "$root_tar.part" "$root_tar"
    log "stored the trixie root under $root_tar"
  fi
fi

# --- e2e/golang:1.27 ----------------------------------------------------------------------
# The templates pin golang:1.27.x-trixie: their build runs at least once in the suite against that
# Go line. golang:trixie's root (apt, gcc, git, the e2e CA) with sid's golang-1.27 (static go) in
# front on PATH; amd64 only, as the templates' build stages run on the build platform and
# cross-compile. Keyed by golang:trixie's key and the exact sid .debs.
trixie_key=$key
go127_uris=$(deb_uris sid amd64 golang-1.27-go golang-1.27-src:all) || exit 1
key=$(recipe_key "${RECIPE[@]}" -- golang-1.27 "$trixie_key" "$go127_uris")
if ! reuse golang:1.27 "$key"; then
  printf '%s\n' "$HELLO" >hello.go
  mkdir -p go127
  deb_unpack go127/rootfs sid amd64 golang-1.27-go golang-1.27-src:all
  rm -rf go127/rootfs/usr/share/doc go127/rootfs/usr/share/man
  printf 'FROM %s/e2e/golang:trixie\nCOPY rootfs/ /\nENV PATH=/usr/lib/go-1.27/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n' "$R" >go127/Dockerfile
  build_local golang:1.27 "$key" linux/amd64 go127
  out=$(smoke golang:1.27 amd64 "go version; a hello built for amd64 and arm64" -v "$work/hello.go:/src/hello.go:ro" "$R/e2e/golang:1.27" \
    sh -c 'go version && go build -o /tmp/hello-amd64 /src/hello.go && GOARCH=arm64 go build -o /tmp/hello-arm64 /src/hello.go && /tmp/hello-amd64')
  grep -q "^go version go1\.27\." <<<"$out" || die "smoke test failed: golang:1.27: go version printed: $out"
  grep -qx "hello linux/amd64" <<<"$out" || die "smoke test failed: golang:1.27: hello printed: $out"
  publish golang:1.27 "$key"
fi

# --- e2e/binfmt:standin --------------------------------------------------------------------
key=$(recipe_key "${RECIPE[@]}" -- binfmt "$busybox_uris" "$(sha256_of /usr/bin/qemu-aarch64-static)")
if ! reuse binfmt:standin "$key"; then
  # What docker/setup-qemu-action runs, tonistiigi/binfmt, cannot be pulled here: this stand-in
  # honours `--install arm64`, registering Debian's static qemu-aarch64 with the F flag from
  # inside a privileged container, as the real image does.
  mkdir -p binfmt && cp -a bb/amd64 binfmt/rootfs
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
  build_local binfmt:standin "$key" linux/amd64 binfmt
  out=$(smoke binfmt:standin amd64 "qemu-aarch64-static runs" --entrypoint /usr/bin/qemu-aarch64-static "$R/e2e/binfmt:standin" --version)
  grep -q "qemu-aarch64 version" <<<"$out" || die "smoke test failed: binfmt:standin: $out"
  out=$(docker run --rm --network none "$R/e2e/binfmt:standin" 2>&1) && die "smoke test failed: binfmt:standin accepted no arguments"
  grep -q "usage: --install arm64" <<<"$out" || die "smoke test failed: binfmt:standin without arguments printed: $out"
  publish binfmt:standin "$key"
fi
log "base images ready in $R"
