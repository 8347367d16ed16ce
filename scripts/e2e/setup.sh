#!/usr/bin/env bash
# The whole e2e environment: gotools (cosign, syft and trivy built from their Go modules) runs
# beside install (host packages, engine, cosign 2), up (engine, QEMU, registry, base images) and
# buildkit (BuildKit from Debian's sources: binaries, image, host daemon), which mostly wait on
# downloads and pushes while it compiles; then trivy (a fixture vulnerability DB in the registry,
# checked with the built trivy), mirror (tool release tree), sigstore (the local Sigstore
# stand-in: token service, Fulcio, Rekor). Each step stops at its first error.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
took=()
t0=$(date +%s)
mkdir -p "${BDI_STATE:-/var/lib/bdi-e2e}"
gotools_log="${BDI_STATE:-/var/lib/bdi-e2e}/gotools.log"
bash "$here/gotools.sh" >"$gotools_log" 2>&1 &
gotools=$!
# A failing step must not leave the build running behind it.
trap 'kill "$gotools" 2>/dev/null || true' EXIT
for step in install up buildkit; do
  start=$(date +%s)
  bash "$here/$step.sh"
  took+=("$step $(($(date +%s) - start)) s")
done
start=$(date +%s)
if ! wait "$gotools"; then
  cat "$gotools_log" >&2
  echo "[setup] gotools.sh failed (log above, also in $gotools_log)" >&2
  exit 1
fi
trap - EXIT
cat "$gotools_log" >&2
took+=("gotools $(($(date +%s) - t0)) s from the start, waited $(($(date +%s) - start)) s")
for step in trivy mirror sigstore; do
  start=$(date +%s)
  bash "$here/$step.sh"
  took+=("$step $(($(date +%s) - start)) s")
done
# Where the setup's time went, for the README's timings and the CI budget.
summary=$(printf '%s, ' "${took[@]}")
echo "[setup] ${summary%, }" >&2
