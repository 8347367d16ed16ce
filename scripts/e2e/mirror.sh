#!/usr/bin/env bash
# A local HTTP mirror with the GitHub releases layout for cosign, syft and trivy, checksums files
# included, so the action's download -> verify -> tool-cache path runs for real via tools-url:
#   good/sigstore/cosign/releases/download/v3.1.3/cosign-linux-amd64   (built by gotools.sh)
#   good/sigstore/cosign/releases/download/v2.5.0/cosign-linux-amd64   (Debian trixie's cosign 2)
#   good/anchore/syft/releases/download/v1.52.0/syft_1.52.0_linux_amd64.tar.gz      (gotools.sh)
#   good/aquasecurity/trivy/releases/download/v0.74.0/trivy_0.74.0_Linux-64bit.tar.gz (gotools.sh)
#   corrupt/...  the same layout and checksums files, with each cosign and syft binary altered by one byte.
# The versions are the action's defaults; binaries built from source have their own sha256, not
# the release assets' compiled into the action, so the suite hands the good tree's sums to the
# action through tools-checksums (BDI_TOOLS_CHECKSUMS) and the compiled-in pins stay the real ones.
# Served on 127.0.0.1; the request log shows what the action downloaded.
# Rebuilt whenever its recipe key (this script, lib.sh and the binaries) changes; each binary is
# run once before the tree is published.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export BDI_STEP=mirror
# shellcheck source=scripts/e2e/lib.sh
. "$here/lib.sh"
# shellcheck disable=SC1091
. "$STATE/env"
PORT=${BDI_MIRROR_PORT:-5480}
root="$BDI_STATE/mirror"
COSIGN3=3.1.3 COSIGN2=2.5.0 SYFT=1.52.0 TRIVY=0.74.0
TOOLS=$STATE/gotools
for t in cosign syft trivy; do [ -x "$TOOLS/$t" ] || die "no $t in '$TOOLS': gotools.sh runs before mirror.sh"; done

publish() { # publish TREE
  local tree=$1 d
  d="$tree/sigstore/cosign/releases/download/v$COSIGN3"; mkdir -p "$d"
  cp "$TOOLS/cosign" "$d/cosign-linux-amd64"
  d="$tree/sigstore/cosign/releases/download/v$COSIGN2"; mkdir -p "$d"
  cp "$BDI_PREFIX/trixie/usr/bin/cosign" "$d/cosign-linux-amd64"
  d="$tree/anchore/syft/releases/download/v$SYFT"; mkdir -p "$d"
  local pkg; pkg=$(mktemp -d)
  cp "$TOOLS/syft" "$pkg/syft"
  tar -C "$pkg" --owner=0 --group=0 --mtime=@0 -czf "$d/syft_${SYFT}_linux_amd64.tar.gz" syft
  rm -rf "$pkg"
  for v in "$COSIGN3" "$COSIGN2"; do
    (cd "$tree/sigstore/cosign/releases/download/v$v" && sha256sum cosign-linux-amd64 >cosign_checksums.txt)
  done
  (cd "$tree/anchore/syft/releases/download/v$SYFT" && sha256sum "syft_${SYFT}_linux_amd64.tar.gz" >"syft_${SYFT}_checksums.txt")
  d="$tree/aquasecurity/trivy/releases/download/v$TRIVY"; mkdir -p "$d"
  pkg=$(mktemp -d)
  cp "$TOOLS/trivy" "$pkg/trivy"
  tar -C "$pkg" --owner=0 --group=0 --mtime=@0 -czf "$d/trivy_${TRIVY}_Linux-64bit.tar.gz" trivy
  rm -rf "$pkg"
  (cd "$d" && sha256sum "trivy_${TRIVY}_Linux-64bit.tar.gz" >"trivy_${TRIVY}_checksums.txt")
}

key=$(recipe_key "$here/mirror.sh" "$here/lib.sh" -- \
  "$(sha256_of "$TOOLS/cosign")" "$(sha256_of "$BDI_PREFIX/trixie/usr/bin/cosign")" "$(sha256_of "$TOOLS/syft")" "$(sha256_of "$TOOLS/trivy")")
if [ "$(cat "$root/.key" 2>/dev/null)" != "$key" ]; then
  log "publishing the release tree (key $key)"
  rm -rf "$root"
  publish "$root/good"
  publish "$root/corrupt"
  # Corrupt each binary by one byte after its checksum was recorded, as a bad mirror would serve it.
  for f in "$root"/corrupt/sigstore/cosign/releases/download/*/cosign-linux-amd64 "$root"/corrupt/anchore/syft/releases/download/*/*.tar.gz; do
    printf 'X' | dd of="$f" bs=1 seek=1000 conv=notrunc status=none
  done
  # Smoke test: what the good tree serves runs, and matches its checksums file.
  for v in "$COSIGN3" "$COSIGN2"; do
    d="$root/good/sigstore/cosign/releases/download/v$v"
    (cd "$d" && sha256sum -c --quiet cosign_checksums.txt) || die "mirror: cosign $v checksum does not match"
    chmod 755 "$d/cosign-linux-amd64"
    "$d/cosign-linux-amd64" version >/dev/null 2>&1 || die "mirror: cosign $v does not run"
  done
  t=$(mktemp -d)
  tar -C "$t" -xzf "$root/good/anchore/syft/releases/download/v$SYFT/syft_${SYFT}_linux_amd64.tar.gz"
  "$t/syft" version >/dev/null || die "mirror: syft $SYFT does not run"
  d="$root/good/aquasecurity/trivy/releases/download/v$TRIVY"
  (cd "$d" && sha256sum -c --quiet "trivy_${TRIVY}_checksums.txt") || die "mirror: trivy $TRIVY checksum does not match"
  tar -C "$t" -xzf "$d/trivy_${TRIVY}_Linux-64bit.tar.gz"
  "$t/trivy" --version >/dev/null 2>&1 || die "mirror: trivy $TRIVY does not run"
  rm -rf "$t"
  printf '%s\n' "$key" >"$root/.key"
fi

# The suite's own checks run the same cosign the action downloads.
as_root ln -sfn "$TOOLS/cosign" "$PREFIX/bin/cosign"

if curl -fsS -o /dev/null "http://127.0.0.1:$PORT/good/sigstore/cosign/releases/download/v$COSIGN3/cosign_checksums.txt" 2>/dev/null; then
  echo "[mirror] serving on http://127.0.0.1:$PORT"
else
  nohup python3 -m http.server "$PORT" --bind 127.0.0.1 --directory "$root" >>"$BDI_STATE/mirror.log" 2>&1 &
  echo $! >"$STATE/run/mirror.pid"
  up=""
  for _ in $(seq 50); do curl -fsS -o /dev/null "http://127.0.0.1:$PORT/good/" 2>/dev/null && { up=1; break; }; sleep 0.1; done
  [ -n "$up" ] || { tail -5 "$BDI_STATE/mirror.log" >&2; die "the mirror did not start on 127.0.0.1:$PORT"; }
  echo "[mirror] started on http://127.0.0.1:$PORT"
fi
# Rewritten each time, so a changed version never leaves a stale value behind.
sed -i -E '/^export BDI_(MIRROR_URL|MIRROR_LOG|MIRROR_ROOT|COSIGN3_VERSION|COSIGN2_VERSION|SYFT_VERSION|TRIVY_VERSION|TOOLS_CHECKSUMS)=/d' "$BDI_STATE/env"
# The good tree's sums, for the action's tools-checksums input: one line per asset.
sums=$(cd "$root/good" && cat sigstore/cosign/releases/download/v$COSIGN3/cosign_checksums.txt \
  anchore/syft/releases/download/v$SYFT/syft_${SYFT}_checksums.txt aquasecurity/trivy/releases/download/v$TRIVY/trivy_${TRIVY}_checksums.txt)
cat >>"$BDI_STATE/env" <<ENV
export BDI_MIRROR_URL="http://127.0.0.1:$PORT"
export BDI_MIRROR_LOG="$BDI_STATE/mirror.log"
export BDI_MIRROR_ROOT="$root"
export BDI_COSIGN3_VERSION="$COSIGN3"
export BDI_COSIGN2_VERSION="$COSIGN2"
export BDI_SYFT_VERSION="$SYFT"
export BDI_TRIVY_VERSION="$TRIVY"
export BDI_TOOLS_CHECKSUMS="$(printf '%s' "$sums" | base64 -w0)"
ENV
