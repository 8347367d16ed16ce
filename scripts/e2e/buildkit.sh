#!/usr/bin/env bash
# A real BuildKit daemon for the e2e suite, built from Debian's sources, offline. No Debian suite
# ships buildkitd or buildctl, but BuildKit's full source is inside sid's
# golang-github-docker-docker-dev; it builds with sid's Go in GOPATH mode over the unpacked
# golang-*-dev packages it imports. Facts behind each step: docs/e2e-environment.md,
# "A real BuildKit daemon, built from Debian's sources".
#
# The package list is not frozen (sid moves every day): it is found by `go list -deps` over what is
# unpacked, adding the package that provides each missing import (from sid's Contents-all), until
# nothing is missing. An import no package provides fails the recipe, naming it and its importer.
# The gaps the packaging leaves are filled as the facts file says:
#   - github.com/moby/profiles/seccomp and github.com/tonistiigi/go-actions-cache come from the
#     engine/vendor tree of docker.io's .orig.tar.xz (checked against the sha256 in the signed
#     Sources index);
#   - the packaged tree has no go.mod, so /vN imports resolve only with a one-line go.mod at
#     BuildKit's root (Go's minimal module compatibility in GOPATH mode);
#   - the fuse-overlayfs and stargz snapshotters are left out of the OCI worker
#     (buildkit-worker-patch.py): neither is packaged for this BuildKit, neither is used here.
#
# Output: buildkitd and buildctl, smoke-tested (a RUN step, pushed by digest to the local
# registry) and only then kept in $BUILDKIT_CACHE/<KEY>, where KEY is a sha256 over the code
# that builds and smoke-tests them (see key_of) and the exact .debs that went in (file name and
# sha256). A later run reuses them only under
# the same KEY; reset.sh leaves this cache, as it leaves the .deb cache.
# Run by setup.sh after up.sh (it needs the registry and the busybox base); writes BDI_BUILDKIT_*
# to $STATE/env.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export BDI_STEP=buildkit
# shellcheck source=scripts/e2e/lib.sh
. "$here/lib.sh"
# shellcheck disable=SC1091
. "$STATE/env"
BUILDKIT_CACHE=${BDI_BUILDKIT_CACHE:-/var/cache/bdi-e2e/buildkit}
GO_PKGS=(golang-1.27-go golang-1.27-src:all)
SEED=golang-github-docker-docker-dev
# What the image and daemon steps below rebuild on (cheap): the whole of this script and lib.sh.
RECIPE=("$here/buildkit.sh" "$here/buildkit-worker-patch.py" "$here/lib.sh")
e2e_apt_update
mkdir -p "$BUILDKIT_CACHE"

work=$(mktemp -d)
cleanup() {
  local rc=$?
  # Only the smoke daemon: a bare `wait` would wait for the host daemon this script leaves running.
  if [ -n "${smoke_pid:-}" ]; then
    kill "$smoke_pid" 2>/dev/null || true
    wait "$smoke_pid" 2>/dev/null || true
  fi
  grep -q " $work/" /proc/mounts && awk -v w="$work/" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r | xargs -r umount -l
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT

# key_of FILE: the key for the package names listed in FILE, at today's versions in sid.
key_of() {
  local uris
  # shellcheck disable=SC2046 # one package name per line
  uris=$(deb_uris sid amd64 $(cat "$1") "${GO_PKGS[@]}") || exit 1
  # The binaries' key holds only the code that makes them (the build and smoke functions, the
  # lib.sh functions they call, the worker patch) and the exact .debs: editing how the daemon is
  # provisioned below does not cost a 4-minute rebuild.
  recipe_key "$here/buildkit-worker-patch.py" -- "$uris" "${GO_PKGS[*]} $SEED" \
    "$(declare -f bk_apt_config build smoke apt_config debian_source e2e_apt deb_uris deb_fetch deb_unpack retry die sha256_of)"
}

# --- the build (only when no smoke-tested output has this key) -----------------------------
# A second apt view of sid with its Sources and Contents-all, fetched only for a build.
bk_apt_config() {
  local d="$STATE/apt-buildkit"
  # shellcheck disable=SC2016 # $(COMPONENT) and $(RELEASE) are apt's own variables
  apt_config "$d" amd64 "$(debian_source 'deb deb-src' sid amd64)
" 'Acquire::IndexTargets::deb::Contents-all-bdi {
  MetaKey "$(COMPONENT)/Contents-all";
  ShortDescription "Contents-all";
  Description "$(RELEASE)/$(COMPONENT) all Contents (deb)";
  KeepCompressed "true";
};'
  printf '%s\n' "$d"
}

build() {
  local d root gopath go list missing imp p base rest new unresolved round dver line url file sum bkver
  d=$(bk_apt_config)
  bk_apt() { APT_CONFIG="$d/apt.conf" "$@" -o Dir::Cache::pkgcache=pkgcache.bin -o Dir::Cache::srcpkgcache=srcpkgcache.bin; }
  log "apt-get update (sid with Sources and Contents-all, for the import -> package map)"
  retry 5 bk_apt apt-get update -qq --error-on=any || die "apt-get update of sid's Sources and Contents failed 5 times"
  # import path -> package: files under gocode/src (a symlinked directory is listed as itself).
  # apt keeps the index compressed as it likes; apt-helper reads any of its formats.
  /usr/lib/apt/apt-helper cat-file "$d"/lists/*_sid_main_Contents-all* | awk '
    $1 ~ /^usr\/share\/gocode\/src\// && $1 !~ /_test\.go$/ {
      f = $1; sub(/^usr\/share\/gocode\/src\//, "", f); if (f ~ /\.go$/) sub(/\/[^\/]*$/, "", f)
      n = split($NF, a, ","); for (i = 1; i <= n; i++) { sub(/^.*\//, "", a[i]); print f, a[i] }
    }' | sort -u >"$work/godirs"
  [ -s "$work/godirs" ] || die "sid's Contents-all lists no Go source: cannot map imports to packages"

  root="$work/root"
  gopath="$root/usr/share/gocode"
  go="$root/usr/lib/go-1.27/bin/go"
  list="$work/packages"
  printf '%s\n' "$SEED" >"$list"
  deb_unpack "$root" sid amd64 "${GO_PKGS[@]}" "$SEED"
  export GO111MODULE=off CGO_ENABLED=0 GOPATH="$gopath" GOROOT="$root/usr/lib/go-1.27" GOCACHE="$work/gocache" GOTOOLCHAIN=local GOFLAGS=

  # The gaps: two vendored packages from docker.io's orig tarball, the go.mod, the worker patch.
  dver=$(dpkg-deb -f "$(deb_fetch sid amd64 "$SEED")" Version) || die "cannot read $SEED's version"
  line=$(bk_apt apt-get source --print-uris "docker.io=$dver" 2>&1 | grep -F " docker.io_${dver%-*}.orig.tar.xz ") ||
    die "sid's Sources has no docker.io $dver orig tarball"
  read -r url file _ sum <<<"$(tr -d "'" <<<"$line")"
  retry 4 curl -fsS --connect-timeout 20 --max-time 600 -o "$work/$file" "$url" || die "download failed: $url"
  [ "$(sha256_of "$work/$file")" = "${sum#SHA256:}" ] || die "sha256 mismatch for $file"
  mkdir -p "$work/orig"
  tar -xJf "$work/$file" -C "$work/orig" --wildcards '*/engine/vendor/github.com/moby/profiles/seccomp/*' \
    '*/engine/vendor/github.com/tonistiigi/go-actions-cache/*' || die "$file has no engine/vendor seccomp or go-actions-cache"
  mkdir -p "$gopath/src/github.com/moby/profiles" "$gopath/src/github.com/tonistiigi"
  cp -r "$work"/orig/*/engine/vendor/github.com/moby/profiles/seccomp "$gopath/src/github.com/moby/profiles/"
  cp -r "$work"/orig/*/engine/vendor/github.com/tonistiigi/go-actions-cache "$gopath/src/github.com/tonistiigi/"
  echo 'module github.com/moby/buildkit' >"$gopath/src/github.com/moby/buildkit/go.mod"
  # The version docker.io vendors is the one this source is: buildkitd --version and buildx say it.
  bkver=$(tar -xJf "$work/$file" -O --wildcards '*/engine/vendor/modules.txt' | awk '$1 == "#" && $2 == "github.com/moby/buildkit" {print $3}')
  [ -n "$bkver" ] || die "$file's engine/vendor/modules.txt names no github.com/moby/buildkit version"
  python3 "$here/buildkit-worker-patch.py" "$gopath/src/github.com/moby/buildkit/cmd/buildkitd/main_oci_worker.go" || exit 1

  for round in $(seq 1 20); do
    missing=$("$go" list -e -deps -f '{{if .Error}}{{.ImportPath}}{{end}}' \
      github.com/moby/buildkit/cmd/buildkitd github.com/moby/buildkit/cmd/buildctl 2>/dev/null | sort -u)
    [ -n "$missing" ] || break
    new=()
    unresolved=()
    for imp in $missing; do
      p=$(awk -v d="$imp" '$1 == d {print $2; exit}' "$work/godirs")
      if [ -z "$p" ] && [[ $imp =~ ^(.*)/(v[0-9]+)(/.*)?$ ]]; then
        # X/vN/... is packaged at X/...; BuildKit's go.mod lets GOPATH mode find it there.
        base=${BASH_REMATCH[1]} rest=${BASH_REMATCH[3]}
        p=$(awk -v d="$base$rest" '$1 == d {print $2; exit}' "$work/godirs")
      fi
      if [ -z "$p" ]; then unresolved+=("$imp")
      elif ! grep -qx "$p" "$list"; then new+=("$p"); fi
    done
    if [ ${#new[@]} -eq 0 ]; then
      [ ${#unresolved[@]} -gt 0 ] || mapfile -t unresolved <<<"$missing"
      die "no package in sid provides these imports of BuildKit: ${unresolved[*]}
$("$go" list -e -deps -f '{{if .Error}}{{.Error}}{{end}}' github.com/moby/buildkit/cmd/buildkitd github.com/moby/buildkit/cmd/buildctl 2>&1 | grep -m5 'cannot find')"
    fi
    mapfile -t new < <(printf '%s\n' "${new[@]}" | sort -u)
    log "round $round: ${#new[@]} more packages for $(wc -w <<<"$missing") missing imports"
    printf '%s\n' "${new[@]}" >>"$list"
    deb_unpack "$root" sid amd64 "${new[@]}"
  done
  log "building buildkitd and buildctl with $("$go" version | cut -d' ' -f3) over $(wc -l <"$list") packages"
  mkdir -p "$work/out"
  "$go" build -trimpath -ldflags "-s -w -X github.com/moby/buildkit/version.Version=$bkver+debian-$dver" \
    -o "$work/out/" github.com/moby/buildkit/cmd/buildkitd github.com/moby/buildkit/cmd/buildctl ||
    die "go build of buildkitd and buildctl failed"
  sort -o "$work/out/packages" "$list"
}

# --- smoke test: a RUN step through the runc worker, pushed by digest ----------------------
smoke() { # smoke DIR: DIR/buildkitd, DIR/buildctl
  local dir=$1 sock="$work/smoke.sock" ctx="$work/smoke-ctx" meta
  mkdir -p "$ctx" "$work/smoke-root"
  printf 'FROM %s/e2e/busybox:1\nRUN uname -m >/machine\n' "$BDI_REGISTRY" >"$ctx/Dockerfile"
  "$dir/buildkitd" --root "$work/smoke-root" --addr "unix://$sock" --oci-worker-binary "$(command -v runc)" \
    --oci-worker-snapshotter overlayfs --containerd-worker=false >"$work/smoke.log" 2>&1 &
  smoke_pid=$!
  for _ in $(seq 100); do "$dir/buildctl" --addr "unix://$sock" debug workers >/dev/null 2>&1 && break; sleep 0.2; done
  "$dir/buildctl" --addr "unix://$sock" debug workers >/dev/null 2>&1 || { tail -20 "$work/smoke.log" >&2; die "smoke test: buildkitd did not start"; }
  meta="$work/smoke-meta.json"
  DOCKER_CONFIG="$STATE/docker-config-bases" "$dir/buildctl" --addr "unix://$sock" build --progress plain \
    --frontend dockerfile.v0 --local context="$ctx" --local dockerfile="$ctx" \
    --output "type=image,name=$BDI_REGISTRY/e2e/buildkit-smoke,push-by-digest=true,name-canonical=true,push=true" \
    --metadata-file "$meta" >"$work/smoke-build.log" 2>&1 ||
    { tail -30 "$work/smoke-build.log" >&2; die "smoke test: a RUN step pushed by digest failed"; }
  grep -q '"containerimage.digest": *"sha256:' "$meta" || die "smoke test: no pushed digest in $(cat "$meta")"
  kill "$smoke_pid"
  wait "$smoke_pid" 2>/dev/null || true
  smoke_pid=
}

key=""
[ -s "$BUILDKIT_CACHE/packages" ] && key=$(key_of "$BUILDKIT_CACHE/packages")
if [ -n "$key" ] && [ -x "$BUILDKIT_CACHE/$key/buildkitd" ]; then
  log "reusing buildkitd and buildctl from $BUILDKIT_CACHE/$key (smoke-tested when stored)"
else
  start=$(date +%s)
  build
  smoke "$work/out"
  key=$(key_of "$work/out/packages")
  mkdir -p "$BUILDKIT_CACHE/$key"
  cp "$work/out/buildkitd" "$work/out/buildctl" "$work/out/packages" "$BUILDKIT_CACHE/$key/"
  cp "$work/out/packages" "$BUILDKIT_CACHE/packages"
  log "built, smoke-tested and stored under $BUILDKIT_CACHE/$key in $(($(date +%s) - start)) s"
fi
mkdir -p "$PREFIX/buildkit"
# A running host daemon holds its binary busy: replace by rename, and only what changed; a
# daemon left running on an older binary is stopped so that it restarts on this one below.
for b in buildkitd buildctl; do
  cmp -s "$BUILDKIT_CACHE/$key/$b" "$PREFIX/buildkit/$b" && continue
  cp "$BUILDKIT_CACHE/$key/$b" "$PREFIX/buildkit/$b.new"
  mv -f "$PREFIX/buildkit/$b.new" "$PREFIX/buildkit/$b"
  if [ "$b" = buildkitd ] && [ -f "$STATE/run/buildkitd.pid" ]; then
    as_root kill "$(cat "$STATE/run/buildkitd.pid")" 2>/dev/null || true
    rm -f "$STATE/run/buildkitd.pid"
  fi
done
log "buildkitd $("$PREFIX/buildkit/buildkitd" --version | awk '{print $3}') ready (key $key)"

# --- as an image, for the docker-container driver ------------------------------------------
# FROM scratch: buildkitd, buildctl, sid's runc with the libc6 and libseccomp2 it was built
# against (bookworm's libc is too old for it), and the CA bundle (it trusts the e2e registry).
R=$BDI_REGISTRY
img_uris=$(deb_uris sid amd64 runc libc6 libseccomp2) || exit 1
img_key=$(recipe_key "${RECIPE[@]}" -- "$key" "$img_uris" "$(sha256_of /etc/ssl/certs/ca-certificates.crt)")
image="$R/e2e/buildkit:recipe-$img_key"
export DOCKER_CONFIG="$STATE/docker-config-bases"
if docker buildx imagetools inspect "$image" >/dev/null 2>&1; then
  log "$image: reused"
else
  ctx="$work/image"
  deb_unpack "$ctx/rootfs" sid amd64 runc libc6 libseccomp2
  mkdir -p "$ctx/rootfs/usr/bin" "$ctx/rootfs/etc/ssl/certs" "$ctx/rootfs/tmp" "$ctx/rootfs/var/lib/buildkit"
  chmod 1777 "$ctx/rootfs/tmp"
  cp "$PREFIX/buildkit/buildkitd" "$PREFIX/buildkit/buildctl" "$ctx/rootfs/usr/bin/"
  [ -x "$ctx/rootfs/usr/bin/runc" ] || mv "$ctx/rootfs/usr/sbin/runc" "$ctx/rootfs/usr/bin/runc"
  cp /etc/ssl/certs/ca-certificates.crt "$ctx/rootfs/etc/ssl/certs/"
  # merged /usr: the loader is found through /lib64, the libraries through /lib
  for l in bin sbin lib lib64; do [ -e "$ctx/rootfs/$l" ] || [ ! -d "$ctx/rootfs/usr/$l" ] || ln -s "usr/$l" "$ctx/rootfs/$l"; done
  rm -rf "$ctx/rootfs/usr/share/doc" "$ctx/rootfs/usr/share/man" "$ctx/rootfs/usr/share/locale"
  printf 'FROM scratch\nCOPY rootfs/ /\nENV PATH=/usr/bin:/usr/sbin\nVOLUME /var/lib/buildkit\nENTRYPOINT ["buildkitd"]\n' >"$ctx/Dockerfile"
  docker buildx build -q --platform linux/amd64 --provenance=false -t "$image" --load "$ctx" >/dev/null ||
    die "docker buildx build of $image failed"
  # Smoke test: a docker-container builder on this image runs a RUN step and pushes by digest.
  out=$(docker run --rm --network none --entrypoint runc "$image" --version 2>&1) || { docker image rm -f "$image" >/dev/null; die "smoke test: runc does not run in $image: $out"; }
  smoke_builder=bdi-buildkit-smoke
  docker buildx rm "$smoke_builder" >/dev/null 2>&1 || true
  if ! out=$(docker buildx create --name "$smoke_builder" --driver docker-container \
      --driver-opt "image=$image,network=host" --bootstrap 2>&1); then
    docker image rm -f "$image" >/dev/null
    die "smoke test: a docker-container builder on $image did not start: $out"
  fi
  printf 'FROM %s/e2e/busybox:1\nRUN uname -m >/machine\n' "$R" >"$work/Dockerfile.smoke"
  if ! out=$(docker buildx build --builder "$smoke_builder" --platform linux/amd64 -f "$work/Dockerfile.smoke" \
      --output "type=image,name=$R/e2e/buildkit-smoke,push-by-digest=true,name-canonical=true,push=true" \
      --metadata-file "$work/smoke-image-meta.json" "$work" 2>&1) || ! grep -q '"containerimage.digest"' "$work/smoke-image-meta.json"; then
    docker buildx rm "$smoke_builder" >/dev/null 2>&1 || true
    docker image rm -f "$image" >/dev/null
    die "smoke test: a RUN step pushed by digest through $image failed: $(tail -20 <<<"$out")"
  fi
  docker buildx rm "$smoke_builder" >/dev/null 2>&1
  retry 3 docker push -q "$image" >/dev/null || die "docker push $image failed"
  docker image rm -f "$image" >/dev/null
  log "$image: smoke-tested (docker-container builder, RUN, push by digest) and pushed"
fi

# --- the same image without the e2e CA, for buildkitd-config --------------------------------
# The image above trusts the e2e registries through the host's CA bundle, which carries the e2e
# CA; a BuildKit image from elsewhere does not. This variant replaces the bundle with Debian's
# ca-certificates alone (/usr/share/ca-certificates/mozilla, without the host's local additions),
# so that a builder on it meets the e2e registries as a runner meets a registry behind a private
# CA: x509 until buildkitd-config gives the CA. Keyed by the image above and the bundle.
noca="$work/noca"
mkdir -p "$noca"
cat /usr/share/ca-certificates/mozilla/*.crt >"$noca/ca-certificates.crt"
# The bundle must not trust the registry's certificate, and the image's own bundle must.
openssl verify -no-CApath -no-CAstore -CAfile "$noca/ca-certificates.crt" "$STATE/registry/tls.crt" >/dev/null 2>&1 &&
  die "Debian's ca-certificates bundle trusts the e2e registry's certificate: the CA-less variant would prove nothing"
openssl verify -no-CApath -no-CAstore -CAfile /etc/ssl/certs/ca-certificates.crt "$STATE/registry/tls.crt" >/dev/null 2>&1 ||
  die "the host's CA bundle does not trust the e2e registry: run up.sh first"
printf 'FROM %s\nCOPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt\n' "$image" >"$noca/Dockerfile"
noca_image="$R/e2e/buildkit-noca:recipe-$(recipe_key "${RECIPE[@]}" -- "$image" "$(sha256_of "$noca/ca-certificates.crt")")"
if docker buildx imagetools inspect "$noca_image" >/dev/null 2>&1; then
  log "$noca_image: reused"
else
  docker buildx build -q --platform linux/amd64 --provenance=false -t "$noca_image" --push "$noca" >/dev/null ||
    die "docker buildx build of $noca_image failed"
  log "$noca_image: pushed (the image above with Debian's CA bundle alone, which does not trust the e2e registries)"
fi

# --- as a host daemon: a unix socket, and TCP with mutual TLS ------------------------------
# Certificates from the e2e CA: the server's for 127.0.0.1, a client's for the tests.
tls="$STATE/buildkit-tls"
TCP_PORT=${BDI_BUILDKIT_PORT:-5491}
if [ ! -f "$tls/client.crt" ]; then
  mkdir -p "$tls"
  ca="$STATE/registry"
  for who in server client; do
    openssl req -newkey rsa:2048 -nodes -subj "/CN=bdi-buildkit-$who" -keyout "$tls/$who.key" -out "$tls/$who.csr" 2>"$tls/openssl.log" ||
      die "openssl: $who key ($(cat "$tls/openssl.log"))"
    if [ "$who" = server ]; then printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$tls/ext.cnf"
    else printf 'extendedKeyUsage=clientAuth\n' >"$tls/ext.cnf"; fi
    openssl x509 -req -in "$tls/$who.csr" -CA "$ca/ca.crt" -CAkey "$ca/ca.key" -CAcreateserial -days 30 \
      -extfile "$tls/ext.cnf" -out "$tls/$who.crt" 2>"$tls/openssl.log" || die "openssl: $who certificate ($(cat "$tls/openssl.log"))"
  done
  cp "$ca/ca.crt" "$tls/ca.crt"
  chmod 600 "$tls"/*.key
fi
sock="$STATE/buildkitd.sock"
if "$PREFIX/buildkit/buildctl" --addr "unix://$sock" debug workers >/dev/null 2>&1; then
  log "host buildkitd already serving on unix://$sock and tcp://127.0.0.1:$TCP_PORT"
else
  mkdir -p "$STATE/buildkit" "$STATE/run"
  nohup "${ROOT[@]}" "$PREFIX/buildkit/buildkitd" --root "$STATE/buildkit" --addr "unix://$sock" \
    --addr "tcp://127.0.0.1:$TCP_PORT" --tlscacert "$tls/ca.crt" --tlscert "$tls/server.crt" --tlskey "$tls/server.key" \
    --oci-worker-binary "$(command -v runc)" --oci-worker-snapshotter overlayfs --containerd-worker=false \
    >"$STATE/buildkitd.log" 2>&1 </dev/null &
  echo $! >"$STATE/run/buildkitd.pid"
  disown
  up=""
  for _ in $(seq 100); do
    "$PREFIX/buildkit/buildctl" --addr "tcp://127.0.0.1:$TCP_PORT" --tlscacert "$tls/ca.crt" --tlscert "$tls/client.crt" \
      --tlskey "$tls/client.key" debug workers >/dev/null 2>&1 && { up=1; break; }
    sleep 0.2
  done
  [ -n "$up" ] || { tail -20 "$STATE/buildkitd.log" >&2; die "the host buildkitd did not answer over mutual TLS on 127.0.0.1:$TCP_PORT"; }
  log "host buildkitd serving on unix://$sock and tcp://127.0.0.1:$TCP_PORT (mutual TLS)"
fi

grep -q BDI_BUILDKIT_KEY "$STATE/env" || cat >>"$STATE/env" <<ENV
export BDI_BUILDKIT_KEY="$key"
export BDI_BUILDKITD="$PREFIX/buildkit/buildkitd"
export BDI_BUILDCTL="$PREFIX/buildkit/buildctl"
export BDI_BUILDKIT_IMAGE="$image"
export BDI_BUILDKIT_SOCK="$sock"
export BDI_BUILDKIT_TCP="tcp://127.0.0.1:$TCP_PORT"
export BDI_BUILDKIT_TLS_DIR="$tls"
ENV
grep -q BDI_BUILDKIT_NOCA_IMAGE "$STATE/env" || echo "export BDI_BUILDKIT_NOCA_IMAGE=\"$noca_image\"" >>"$STATE/env"

# --- the suite's builder ---------------------------------------------------------------------
# One docker-container builder on the image above, which most e2e releases use as the current
# builder (BUILDX_BUILDER), as a runner's does after a setup-buildx step. Every release creating
# its own builder, with an empty cache, cost about half the suite's time. The cases about the
# builder the action creates (split, buildkitd-config, the re-run on a new builder) give
# buildkit-image themselves and still get one of their own. Made anew by every setup, so no cache
# outlives the run that filled it.
# Its record lives in the user's buildx store (as setup-buildx's does), which the action shares
# builders from; the bases' docker config, which this script uses, holds the login its image is
# pulled with (the user's holds none: the suite asserts runs that find no login there).
# reset.sh removes the record.
suite_builder=bdi-e2e-suite
export BUILDX_CONFIG="$HOME/.docker/buildx"
docker buildx rm --force "$suite_builder" >/dev/null 2>&1 || true
docker buildx create --name "$suite_builder" --driver docker-container \
  --driver-opt "image=$image,network=host" --bootstrap >/dev/null 2>"$STATE/suite-builder.log" ||
  { cat "$STATE/suite-builder.log" >&2; die "cannot create the suite's builder $suite_builder on $image"; }
log "suite builder $suite_builder on $image"
grep -q BDI_SUITE_BUILDER "$STATE/env" || echo "export BDI_SUITE_BUILDER=\"$suite_builder\"" >>"$STATE/env"
