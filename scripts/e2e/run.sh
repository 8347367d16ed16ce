#!/usr/bin/env bash
# Runs the end-to-end suite: brings the environment up (installing and building what is missing
# or whose recipe changed), then runs vitest's e2e project. A machine that cannot host the
# environment says so loudly; on CI (CI=true) that is a failure, never a silent pass.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
banner() { printf '\n%s\n%s\n%s\n\n' "$(printf '!%.0s' {1..78})" "$*" "$(printf '!%.0s' {1..78})" >&2; }

can_host() { [ "$(id -u)" = 0 ] || sudo -n true 2>/dev/null; }
if ! can_host; then
  banner "E2E SKIPPED: bringing up Docker, QEMU and the registry needs root or passwordless sudo"
  [ "${CI:-}" = true ] && exit 1
  exit 0
fi
start=$(date +%s)
if ! bash "$here/setup.sh"; then
  banner "E2E FAILED TO START: the environment could not be brought up (see the ERROR above)"
  exit 1
fi
echo "[e2e] environment ready in $(($(date +%s) - start)) s"
# shellcheck disable=SC1091
. "${BDI_STATE:-/var/lib/bdi-e2e}/env"
cd "$root" || exit 1
# Three vitest runs (see vitest.config.ts): the second lane (the fault suite, which mostly
# waits, keyless, vulnerability, registries and attestation-store) beside the main files, its output held until it
# ends; then the files that need the registry to themselves. Arguments (files, -t) go to each;
# --passWithNoTests, since a file names one project's only.
vitest() { npx vitest run --passWithNoTests --project "$@"; }
beside_log=$(mktemp)
vitest e2e-beside "$@" >"$beside_log" 2>&1 &
beside_pid=$!
vitest e2e "$@"
main=$?
wait "$beside_pid"
beside=$?
printf '\n[e2e] the second lane (faults, keyless, vulnerability, registries, reachability, attestation-store), run beside the main files:\n'
cat "$beside_log"
rm -f "$beside_log"
vitest e2e-quiet "$@"
quiet=$?
echo "[e2e] exit codes: main $main, beside $beside, quiet $quiet"
[ "$main" = 0 ] && [ "$beside" = 0 ] && [ "$quiet" = 0 ]
