#!/usr/bin/env bash
# The whole e2e environment, in order: install (host packages, engine, cosign), up (engine, QEMU,
# registry, base images), buildkit (BuildKit from Debian's sources: binaries, image, host
# daemon), trivy (the real trivy from npm, a fixture vulnerability DB in the registry), mirror
# (tool release tree), sigstore (the local Sigstore stand-in: token service,
# Fulcio, Rekor). Each step stops at its first error.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bash "$here/install.sh"
bash "$here/up.sh"
bash "$here/buildkit.sh"
bash "$here/trivy.sh"
bash "$here/mirror.sh"
bash "$here/sigstore.sh"
