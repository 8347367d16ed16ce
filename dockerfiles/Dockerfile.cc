# A cgo service linked against native libraries, on distroless/cc, for linux/amd64 and linux/arm64.
# The build stage runs on the build machine and cross-compiles with Debian's cross C toolchain
# (gcc-<triplet>, libc6-dev:<arch>), so no RUN executes on the target platform and no QEMU is
# needed. The shared libraries the binary needs beyond glibc, libgcc and libstdc++ (which
# distroless/cc has) are copied into the image at their Debian paths. Selected with
# `dockerfile: cc`; see dockerfiles/README.md. No `# syntax=` line: it would pull a frontend image.

ARG BUILDER_IMAGE=golang:1.27.2-trixie@sha256:e58d6f83b3416618d8bcac2b3dde1b7f7e3c4a77d25e88637f8bbae81536c48d
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian13:nonroot@sha256:e792ab3d241a468a4fd7519ddbbebe66b49b5f365771716ea688ad40b6c6f1c2
ARG DEBUG_IMAGE=gcr.io/distroless/cc-debian13:debug-nonroot@sha256:f525a9a37aed3e8a848f46cfe055999782d66ed797e9e2886928c8caaaa4fc52
# The package to build (kubebuilder: ./cmd, or ./cmd/manager in older layouts); extra linker
# flags; build tags, comma-separated; where the binary goes in the image (kubebuilder's manifests
# run /manager); the release version (the action passes VERSION, from its version input or the
# tag, to a Dockerfile that declares it) and the string variable -X sets it in.
ARG GO_PACKAGE=. GO_LDFLAGS= GO_TAGS= BINARY=/app VERSION=dev VERSION_VARIABLE=main.version

FROM --platform=$BUILDPLATFORM ${BUILDER_IMAGE} AS source
ARG TARGETOS TARGETARCH
# Debian -dev packages of the native libraries the program links, installed for the target
# architecture, e.g. "libsqlite3-dev libzstd-dev".
ARG CGO_PACKAGES=
ENV GOMODCACHE=/go/pkg/mod GOCACHE=/root/.cache/go-build
# Read by go from the environment: a module proxy (e.g. an Athens or Artifactory mirror) and
# default flags (e.g. -mod=vendor). Not given, the builder image's own settings (or go's) stay.
ARG GOPROXY
ARG GOFLAGS
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked --mount=type=cache,target=/var/lib/apt/lists,sharing=locked <<'SH'
set -eu
case "$TARGETARCH" in
  amd64) triplet=x86_64-linux-gnu ;;
  arm64) triplet=aarch64-linux-gnu ;;
  *) echo "Dockerfile.cc builds linux/amd64 and linux/arm64, not $TARGETARCH" >&2; exit 1 ;;
esac
echo "$triplet" >/tmp/triplet
dash=$(echo "$triplet" | tr _ -)
missing=""
for p in "gcc-$dash" "binutils-$dash" "libc6-dev:$TARGETARCH" $(for p in $CGO_PACKAGES; do echo "$p:$TARGETARCH"; done); do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
# A builder image that already has the toolchain (an internal mirror, say) needs no network.
if [ -n "$missing" ]; then
  dpkg --add-architecture "$TARGETARCH"
  rm -f /etc/apt/apt.conf.d/docker-clean
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
SH
WORKDIR /src
COPY go.mod go.sum* ./
# Private modules (input github-token): with a GIT_AUTH_TOKEN secret, git answers GIT_HOST's
# credential prompts from the secret file, in this RUN only. The token is never in a URL, an ENV
# or a file of the image; without the secret this step is a plain `go mod download`.
ARG GOPRIVATE=
ARG GIT_HOST=github.com
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=secret,id=GIT_AUTH_TOKEN <<'SH'
set -e
if [ -s /run/secrets/GIT_AUTH_TOKEN ]; then
  export GIT_CONFIG_COUNT=1
  export GIT_CONFIG_KEY_0="credential.https://${GIT_HOST}.helper"
  export GIT_CONFIG_VALUE_0='!f() { echo username=x-access-token; echo "password=$(cat /run/secrets/GIT_AUTH_TOKEN)"; }; f'
  echo "private modules: git authenticates to ${GIT_HOST} with the GIT_AUTH_TOKEN secret; GOPRIVATE=${GOPRIVATE:-(not set)}"
fi
go mod download
SH
COPY . .
# The build, as a script both build stages run: STRIP is "-s -w" for the release, empty for debug.
# ENTRYPOINT stays /app (an exec-form ENTRYPOINT takes no ARG): a link to BINARY when it is elsewhere.
RUN mkdir -p /usr/local/bin && cat >/usr/local/bin/build-app <<'SH' && chmod 0755 /usr/local/bin/build-app
#!/bin/sh
set -eu
case "$BINARY" in /*) ;; *) echo "BINARY must be an absolute path in the image, not $BINARY" >&2; exit 1 ;; esac
triplet=$(cat /tmp/triplet)
mkdir -p "/out/rootfs$(dirname "$BINARY")"
CGO_ENABLED=1 CC="$triplet-gcc" GOOS="$TARGETOS" GOARCH="$TARGETARCH" \
  go build -trimpath -tags="$GO_TAGS" -ldflags="$STRIP -X '$VERSION_VARIABLE=$VERSION' $GO_LDFLAGS" -o "/out/rootfs$BINARY" "$GO_PACKAGE"
[ "$BINARY" = /app ] || ln -s "$BINARY" /out/rootfs/app
# Copy the shared libraries the binary needs (and theirs) that distroless/cc lacks.
provided='^(ld-linux.*|libc|libm|libpthread|libdl|librt|libresolv|libutil|libgcc_s|libstdc\+\+)\.so'
mkdir -p /out/rootfs
queue="/out/rootfs$BINARY" seen=" "
while [ -n "$queue" ]; do
  set -- $queue; file=$1; shift; queue="$*"
  for lib in $("$triplet-readelf" -d "$file" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
    if echo "$lib" | grep -Eq "$provided"; then continue; fi
    case "$seen" in *" $lib "*) continue ;; esac
    seen="$seen$lib "
    found=""
    for dir in /usr/lib/$triplet /lib/$triplet /usr/$triplet/lib; do
      if [ -e "$dir/$lib" ]; then found="$dir/$lib"; break; fi
    done
    if [ -z "$found" ]; then
      echo "Dockerfile.cc: $lib (needed by $file) is not installed for $triplet: add its -dev package to CGO_PACKAGES" >&2
      exit 1
    fi
    dest=/out/rootfs/usr/lib/$triplet/$lib
    mkdir -p "$(dirname "$dest")"
    cp -L "$found" "$dest"
    echo "bundling $lib from $found"
    queue="$queue $dest"
  done
done
SH

FROM source AS build
ARG TARGETOS TARGETARCH GOPROXY GOFLAGS GO_PACKAGE GO_LDFLAGS GO_TAGS BINARY VERSION VERSION_VARIABLE
ARG STRIP="-s -w"
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build /usr/local/bin/build-app

# Not stripped: the symbol table and DWARF stay for a debugger.
FROM source AS build-debug
ARG TARGETOS TARGETARCH GOPROXY GOFLAGS GO_PACKAGE GO_LDFLAGS GO_TAGS BINARY VERSION VERSION_VARIABLE
ARG STRIP=
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build /usr/local/bin/build-app

# `target: debug`: the same program, not stripped, and its libraries on the busybox-carrying debug
# base, as nonroot.
FROM ${DEBUG_IMAGE} AS debug
COPY --from=build-debug /out/rootfs/ /
USER 65532:65532
ENTRYPOINT ["/app"]

FROM ${RUNTIME_IMAGE} AS runtime
COPY --from=build /out/rootfs/ /
USER 65532:65532
ENTRYPOINT ["/app"]
