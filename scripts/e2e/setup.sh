#!/usr/bin/env bash
# The whole e2e environment, in order: install (host packages, engine, cosign), up (engine, QEMU,
# registry, base images), buildkit (BuildKit from Debian's sources: binaries, image, host
# daemon), trivy (the real trivy from npm, a fixture vulnerability DB in the registry), mirror
# (tool release tree), sigstore (the local Sigstore stand-in: token service,
# Fulcio, Rekor). Each step stops at its first error.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
took=()
for step in install up buildkit trivy mirror sigstore; do
  start=$(date +%s)
  bash "$here/$step.sh"
  took+=("$step $(($(date +%s) - start)) s")
done
# Where the setup's time went, for the README's timings and the CI budget.
summary=$(printf '%s, ' "${took[@]}")
echo "[setup] ${summary%, }" >&2
