#!/usr/bin/env bash
# Brings up the end-to-end environment, starting only what is not already running:
#   containerd + dockerd (containerd image store, so the docker buildx driver pushes indexes),
#   QEMU binfmt for arm64, and a TLS + htpasswd registry under a host name (a stand-in for ghcr.io).
# Writes $BDI_STATE/env, which the suite and the demo source. Idempotent.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
PREFIX=${BDI_PREFIX:-/opt/bdi-e2e}
STATE=${BDI_STATE:-/var/lib/bdi-e2e}
REG_HOST=${BDI_REGISTRY_HOST:-registry.bdi.test}
REG_PORT=${BDI_REGISTRY_PORT:-5443}
REG_USER=${BDI_REGISTRY_USER:-e2e-bot}
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
log() { printf '[up] %s\n' "$*"; }
mkdir -p "$STATE"
export PATH="$PREFIX/bin:$PREFIX/sid/usr/bin:$PREFIX/sid/usr/sbin:$PATH"

wait_for() { # wait_for SECONDS CMD...
  local t=$1; shift
  for _ in $(seq 1 $((t * 5))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  "$@"
}

# --- Docker engine -------------------------------------------------------------------------
if docker info >/dev/null 2>&1; then
  log "docker engine already running: $(docker info -f '{{.ServerVersion}} store={{.Driver}}')"
else
  $SUDO mkdir -p /etc/docker
  if [ ! -f /etc/docker/daemon.json ]; then
    echo '{"features":{"containerd-snapshotter":true}}' | $SUDO tee /etc/docker/daemon.json >/dev/null
  fi
  if ! [ -S /run/containerd/containerd.sock ] || ! ctr version >/dev/null 2>&1; then
    log "starting containerd"
    $SUDO mkdir -p /run/containerd
    nohup $SUDO "$PREFIX/bin/containerd" >"$STATE/containerd.log" 2>&1 &
    wait_for 30 ctr version
  fi
  log "starting dockerd"
  nohup $SUDO env "PATH=$PATH" "$PREFIX/bin/dockerd" --containerd /run/containerd/containerd.sock \
    >"$STATE/dockerd.log" 2>&1 &
  if ! wait_for 60 docker info; then tail -20 "$STATE/dockerd.log" >&2; exit 1; fi
  log "docker engine up: $(docker info -f '{{.ServerVersion}}')"
fi
if [ "$(docker info -f '{{.DriverStatus}}' 2>/dev/null | grep -c 'io.containerd.snapshotter')" = 0 ] &&
   ! docker info 2>/dev/null | grep -q 'containerd.snapshotter'; then
  log "WARNING: the engine does not use the containerd image store; multi-platform pushes need it"
fi

# --- QEMU ----------------------------------------------------------------------------------
if [ "${BDI_SKIP_BINFMT:-}" != 1 ]; then
  if [ ! -e /proc/sys/fs/binfmt_misc/status ]; then
    $SUDO mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  fi
  if ! grep -q '^flags: .*F' /proc/sys/fs/binfmt_misc/qemu-aarch64 2>/dev/null; then
    log "registering qemu-user-static binfmt handlers"
    $SUDO update-binfmts --enable >/dev/null 2>&1 || true
  fi
  grep -q enabled /proc/sys/fs/binfmt_misc/qemu-aarch64 && log "binfmt: qemu-aarch64 enabled"
fi

# --- Registry (TLS + basic auth under a host name) -----------------------------------------
reg="$STATE/registry"
mkdir -p "$reg/data"
if [ ! -f "$reg/ca.crt" ]; then
  log "creating a CA and a certificate for $REG_HOST"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=bdi e2e CA" \
    -keyout "$reg/ca.key" -out "$reg/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$REG_HOST" -keyout "$reg/tls.key" -out "$reg/tls.csr" 2>/dev/null
  printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\n' "$REG_HOST" >"$reg/ext.cnf"
  openssl x509 -req -in "$reg/tls.csr" -CA "$reg/ca.crt" -CAkey "$reg/ca.key" -CAcreateserial \
    -days 3650 -extfile "$reg/ext.cnf" -out "$reg/tls.crt" 2>/dev/null
fi
if [ ! -f "$reg/password" ]; then
  (umask 077; openssl rand -hex 16 >"$reg/password")
  htpasswd -Bbc "$reg/htpasswd" "$REG_USER" "$(cat "$reg/password")" 2>/dev/null
fi
grep -q " $REG_HOST\$" /etc/hosts || echo "127.0.0.1 $REG_HOST" | $SUDO tee -a /etc/hosts >/dev/null
# The registry's port, and the fault proxy's (scripts/e2e/fault-proxy.mjs) in front of it.
for port in "$REG_PORT" "${BDI_FAULT_PORT:-5444}"; do
  $SUDO mkdir -p "/etc/docker/certs.d/$REG_HOST:$port"
  $SUDO cp "$reg/ca.crt" "/etc/docker/certs.d/$REG_HOST:$port/ca.crt"
done
if ! cmp -s "$reg/ca.crt" /usr/local/share/ca-certificates/bdi-e2e.crt; then
  $SUDO cp "$reg/ca.crt" /usr/local/share/ca-certificates/bdi-e2e.crt
  $SUDO update-ca-certificates >/dev/null 2>&1
fi
cat >"$reg/config.yml" <<CFG
version: 0.1
log: { level: info, accesslog: { disabled: false } }
storage:
  filesystem: { rootdirectory: $reg/data }
  delete: { enabled: true }
http:
  addr: 127.0.0.1:$REG_PORT
  tls: { certificate: $reg/tls.crt, key: $reg/tls.key }
auth:
  htpasswd: { realm: bdi-e2e, path: $reg/htpasswd }
CFG
if curl -fsS --cacert "$reg/ca.crt" -o /dev/null -u "$REG_USER:$(cat "$reg/password")" \
    "https://$REG_HOST:$REG_PORT/v2/" 2>/dev/null; then
  log "registry already serving on https://$REG_HOST:$REG_PORT"
else
  log "starting registry on https://$REG_HOST:$REG_PORT"
  nohup docker-registry serve "$reg/config.yml" >>"$STATE/registry.log" 2>&1 &
  wait_for 20 curl -fsS --cacert "$reg/ca.crt" -o /dev/null -u "$REG_USER:$(cat "$reg/password")" \
    "https://$REG_HOST:$REG_PORT/v2/"
fi

cat >"$STATE/env" <<ENV
export PATH="$PREFIX/bin:\$PATH"
export BDI_REGISTRY="$REG_HOST:$REG_PORT"
export BDI_REGISTRY_USER="$REG_USER"
export BDI_REGISTRY_PASSWORD_FILE="$reg/password"
export BDI_REGISTRY_CA="$reg/ca.crt"
export BDI_REGISTRY_TLS_CERT="$reg/tls.crt"
export BDI_REGISTRY_TLS_KEY="$reg/tls.key"
export BDI_FAULT_PORT="${BDI_FAULT_PORT:-5444}"
export BDI_REGISTRY_LOG="$STATE/registry.log"
export BDI_STATE="$STATE"
export BDI_PREFIX="$PREFIX"
ENV
log "environment written to $STATE/env"
"$here/bases.sh"
