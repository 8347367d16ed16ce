#!/usr/bin/env bash
# A fixture vulnerability DB for the vulnerability gate's tests, checked with the real trivy:
#   - trivy: built by gotools.sh from its module at the action's default version; mirror.sh
#     publishes it in the release layout (trivy_<version>_Linux-64bit.tar.gz and its checksums);
#   - the DB: scripts/e2e/trivy-db/main.go (built with trixie's Go and bbolt, GOPATH mode,
#     offline) writes trivy.db and metadata.json; oras (trixie) pushes them to the e2e registry as
#     trivy's OCI artifact, e2e/trivy-db:2, which trivy fetches with --db-repository REG/e2e/trivy-db.
# Smoke test before anything is published: trivy fetches that DB from the registry and finds the
# fixture's Debian advisories in a rootfs holding e2e/static's package records.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export BDI_STEP=trivy
# shellcheck source=scripts/e2e/lib.sh
. "$here/lib.sh"
# shellcheck disable=SC1091
. "$STATE/env"
TRIVY_BIN=$STATE/gotools/trivy
[ -x "$TRIVY_BIN" ] || die "no trivy at '$TRIVY_BIN': gotools.sh runs before trivy.sh"
TRIVY=$("$TRIVY_BIN" --version 2>/dev/null | sed -n 's/^Version: //p')
dir="$STATE/trivy"
R=$BDI_REGISTRY
e2e_apt_update
tool_uris=$(deb_uris trixie amd64 golang-1.24-go golang-1.24-src:all golang-github-coreos-bbolt-dev:all golang-golang-x-sys-dev:all oras) || exit 1
key=$(recipe_key "$here/trivy.sh" "$here/lib.sh" "$here/trivy-db/main.go" -- "trivy $(sha256_of "$TRIVY_BIN")" "$tool_uris")
# The suite's env file is written anew by each setup: these lines go in whether the DB was built
# now or reused.
write_env() {
  sed -i -E '/^export BDI_(TRIVY|TRIVY_DB)=/d' "$BDI_STATE/env"
  cat >>"$BDI_STATE/env" <<ENV
export BDI_TRIVY="$dir/trivy"
export BDI_TRIVY_DB="$R/e2e/trivy-db"
ENV
}
# The registry asks for credentials even to read: the bases' login (bases.sh) answers them.
if [ "$(cat "$dir/.key" 2>/dev/null)" = "$key" ] && DOCKER_CONFIG="$STATE/docker-config-bases" docker buildx imagetools inspect "$R/e2e/trivy-db:recipe-$key" >/dev/null 2>&1; then
  log "trivy $TRIVY and the fixture DB: ready (recipe $key)"
  write_env
  exit 0
fi
log "the fixture DB, checked with trivy $TRIVY (recipe $key)"
rm -rf "$dir"
mkdir -p "$dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

install -m 755 "$TRIVY_BIN" "$dir/trivy"

# The DB's layer is kept in $DB_CACHE under the recipe key once it passed the smoke test below,
# so a setup after a reset skips the Go build (the registry that held it is gone).
DB_CACHE=${BDI_TRIVY_DB_CACHE:-/var/cache/bdi-e2e/trivy-db}
if [ -f "$DB_CACHE/$key/db.tar.gz" ]; then
  log "the fixture DB's layer from $DB_CACHE/$key (stored after its smoke test passed)"
  cp "$DB_CACHE/$key/db.tar.gz" "$work/db.tar.gz"
  deb_unpack "$work/tools" trixie amd64 oras
else
  # The DB generator, with trixie's Go, bbolt and x/sys; no network, no module proxy.
  deb_unpack "$work/tools" trixie amd64 golang-1.24-go golang-1.24-src:all golang-github-coreos-bbolt-dev:all golang-golang-x-sys-dev:all oras
  mkdir -p "$work/gopath/src/e2e/trivy-db"
  cp "$here/trivy-db/main.go" "$work/gopath/src/e2e/trivy-db/"
  ln -s "$work/tools/usr/share/gocode/src/go.etcd.io" "$work/gopath/src/go.etcd.io"
  ln -s "$work/tools/usr/share/gocode/src/golang.org" "$work/gopath/src/golang.org"
  (cd "$work/gopath/src/e2e/trivy-db" &&
    GOROOT="$work/tools/usr/lib/go-1.24" GOPATH="$work/gopath" GO111MODULE=off GOTOOLCHAIN=local GOFLAGS='' GOCACHE="$work/gocache" CGO_ENABLED=0 \
      "$work/tools/usr/lib/go-1.24/bin/go" build -o "$work/trivy-db" .) || die "building scripts/e2e/trivy-db failed"
  "$work/trivy-db" "$work/db" 13 || die "the fixture DB generator failed"
  # The OCI artifact trivy fetches: its config and layer media types, trivy.db and metadata.json in the layer.
  tar -C "$work/db" --owner=0 --group=0 --mtime=@0 -czf "$work/db.tar.gz" trivy.db metadata.json
  built_db=1
fi
oras=$work/tools/usr/bin/oras
password=$(cat "$BDI_REGISTRY_PASSWORD_FILE")
export DOCKER_CONFIG="$work/docker-config"
mkdir -p "$DOCKER_CONFIG"
printf '%s' "$password" | "$oras" login -u "$BDI_REGISTRY_USER" --password-stdin "$R" >/dev/null 2>&1 || die "oras login $R failed"
printf '{}' >"$work/config.json"
for tag in "recipe-$key" 2; do
  (cd "$work" && retry 3 "$oras" push --no-tty "$R/e2e/trivy-db:$tag" \
    --config config.json:application/vnd.aquasec.trivy.config.v1+json \
    db.tar.gz:application/vnd.aquasec.trivy.db.layer.v1.tar+gzip >/dev/null) || die "oras push $R/e2e/trivy-db:$tag failed"
done

# Smoke test: trivy fetches the DB from the registry and finds both Debian advisories in a rootfs
# with e2e/static's package records (base-files and tzdata, trixie).
deb_unpack "$work/rootfs" trixie amd64 base-files
deb_status "$work/rootfs" trixie amd64 base-files tzdata:all
out=$("$dir/trivy" rootfs --cache-dir "$work/cache" --db-repository "$R/e2e/trivy-db" --scanners vuln --format json --quiet "$work/rootfs" 2>&1) ||
  die "smoke test failed: trivy rootfs with the fixture DB from $R/e2e/trivy-db: $out"
for id in CVE-2099-0001 CVE-2099-0002; do
  grep -q "\"$id\"" <<<"$out" || die "smoke test failed: trivy did not report $id from the fixture DB: $(head -c 2000 <<<"$out")"
done
printf '%s\n' "$key" >"$dir/.key"
if [ -n "${built_db:-}" ]; then
  rm -rf "$DB_CACHE"
  mkdir -p "$DB_CACHE/$key"
  cp "$work/db.tar.gz" "$DB_CACHE/$key/db.tar.gz.part" && mv "$DB_CACHE/$key/db.tar.gz.part" "$DB_CACHE/$key/db.tar.gz"
fi
log "trivy $TRIVY and the fixture DB $R/e2e/trivy-db:2 ready"
write_env
