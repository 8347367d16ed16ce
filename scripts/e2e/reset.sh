#!/usr/bin/env bash
# `npm run e2e:reset`: puts this machine back to the fresh state .ci/run starts from, so that the
# next `npm run demo` or `npm test` builds the whole e2e environment from nothing, as a new
# user's machine would. It stops what up.sh and mirror.sh started, unmounts and removes their
# state (engine data, registry, bases, mirror, tool caches, certificates), the unpacked engine,
# and the host packages install.sh added. It keeps only what is keyed by its exact inputs: the
# .deb download cache (files named by package, version and arch, checked against the archive's
# sha256 on every use), build outputs under a sha256 of their recipe and the exact .debs, each
# stored only after its smoke test passed (BuildKit binaries built from Debian's sources, the
# debootstrapped trixie root, the fixture trivy DB's layer), and apt's own cache.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export BDI_STEP=reset
# shellcheck source=scripts/e2e/lib.sh
. "$here/lib.sh"
REG_HOST=${BDI_REGISTRY_HOST:-registry.bdi.test}
REG2_HOST=${BDI_REGISTRY2_HOST:-quay.bdi.test}
HOST_RECORD=/var/lib/bdi-e2e-host-packages
start=$(date +%s)

# --- processes -----------------------------------------------------------------------------
pids=()
for f in "$STATE"/run/*.pid /run/bdi-e2e/dockerd.pid; do
  [ -f "$f" ] && pids+=("$(cat "$f")")
done
# Anything else running from the unpacked engine or serving the state (shims, a fault proxy).
while read -r pid; do pids+=("$pid"); done < <(pgrep -f -- "$PREFIX/|$STATE/|fault-proxy.mjs" || true)
live=()
for pid in "${pids[@]}"; do [ "$pid" != $$ ] && kill -0 "$pid" 2>/dev/null && live+=("$pid"); done
if [ ${#live[@]} -gt 0 ]; then
  log "stopping ${#live[@]} processes of the e2e environment"
  as_root kill "${live[@]}" 2>/dev/null || true
  for _ in $(seq 100); do
    alive=0
    for pid in "${live[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.2
  done
  for pid in "${live[@]}"; do kill -0 "$pid" 2>/dev/null && as_root kill -9 "$pid" 2>/dev/null; done
fi

# --- mounts and files ----------------------------------------------------------------------
# Overlay and shm mounts of the engine's containers, deepest first.
mounts=$(awk -v s="$STATE" '$2 ~ "^(" s "|/run/bdi-e2e)(/|$)" {print $2}' /proc/mounts | sort -r)
for m in $mounts; do as_root umount -l "$m" || die "cannot unmount $m"; done
log "removing $STATE, $PREFIX, /run/bdi-e2e and the e2e temp dirs"
as_root rm -rf "$STATE" "$PREFIX" /run/bdi-e2e
rm -rf "${TMPDIR:-/tmp}"/bdi-* "$here/../../.e2e-work"
# The suite's builder (buildkit.sh): its container went with the engine; its record in the user's
# buildx store goes too, so that the next setup finds nothing of it.
for d in instances activity refs; do rm -rf "$HOME/.docker/buildx/$d/bdi-e2e-suite"; done
if [ -L /usr/local/lib/docker/cli-plugins/docker-buildx ]; then
  as_root rm -f /usr/local/lib/docker/cli-plugins/docker-buildx
fi
as_root rm -rf /etc/docker/certs.d/"$REG_HOST":* /etc/docker/certs.d/"$REG2_HOST":*
if [ -f /usr/local/share/ca-certificates/bdi-e2e.crt ]; then
  as_root rm -f /usr/local/share/ca-certificates/bdi-e2e.crt
  as_root update-ca-certificates --fresh >/dev/null || die "update-ca-certificates --fresh failed"
fi
if grep -q -e " $REG_HOST\$" -e " $REG2_HOST\$" /etc/hosts; then
  # /etc/hosts may be a bind mount: rewrite it in place rather than replace it.
  hosts=$(grep -v -e " $REG_HOST\$" -e " $REG2_HOST\$" /etc/hosts)
  printf '%s\n' "$hosts" | as_root tee /etc/hosts >/dev/null
fi

# QEMU handlers: registered with the F flag, the kernel keeps the interpreter open, so they
# would go on working after qemu-user-static is purged and hide a broken install.
for h in /proc/sys/fs/binfmt_misc/qemu-*; do
  [ -e "$h" ] || continue
  log "unregistering binfmt handler $(basename "$h")"
  echo -1 | as_root tee "$h" >/dev/null || die "cannot unregister $h"
done

# --- host packages install.sh added --------------------------------------------------------
if [ -s "$HOST_RECORD" ]; then
  mapfile -t added < <(sort -u "$HOST_RECORD")
  log "purging the host packages install.sh added: ${added[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get purge -y -qq "${added[@]}" >/dev/null || die "apt-get purge ${added[*]} failed"
  as_root apt-get autoremove --purge -y -qq >/dev/null || die "apt-get autoremove failed"
  as_root rm -f "$HOST_RECORD"
fi
log "done in $(($(date +%s) - start)) s; kept $(du -sh /var/cache/bdi-e2e 2>/dev/null | cut -f1 || echo nothing) of keyed downloads and builds in /var/cache/bdi-e2e"
