#!/usr/bin/env bash
# Brings up the end-to-end environment, starting only what is not already running:
#   containerd + dockerd on data roots under $BDI_STATE (containerd image store, so the docker
#   buildx driver pushes indexes), QEMU binfmt handlers, and a TLS + htpasswd registry under a
#   host name (a stand-in for ghcr.io). Then the base images (bases.sh).
# Writes $BDI_STATE/env, which the suite and the demo source. Everything it starts has a pid
# file in $BDI_STATE/run, so reset.sh stops exactly that.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export BDI_STEP=up
# shellcheck source=scripts/e2e/lib.sh
. "$here/lib.sh"
REG_HOST=${BDI_REGISTRY_HOST:-registry.bdi.test}
REG_PORT=${BDI_REGISTRY_PORT:-5443}
REG_USER=${BDI_REGISTRY_USER:-e2e-bot}
# A second registry with its own host, certificate and credentials, where `images` sends copies
# (a stand-in for Quay.io or Docker Hub beside ghcr.io).
REG2_HOST=${BDI_REGISTRY2_HOST:-quay.bdi.test}
REG2_PORT=${BDI_REGISTRY2_PORT:-5446}
REG2_USER=${BDI_REGISTRY2_USER:-e2e-quay}
RUN="$STATE/run"
mkdir -p "$STATE" "$RUN"
# sid's usr/sbin and usr/bin too: dockerd finds docker-proxy and the shims on PATH.
export PATH="$PREFIX/bin:$PREFIX/sid/usr/bin:$PREFIX/sid/usr/sbin:$PATH"
CONTAINERD_SOCK=/run/bdi-e2e/containerd/containerd.sock

# --- Docker engine -------------------------------------------------------------------------
if docker info >/dev/null 2>&1; then
  log "docker engine already running: $(docker info -f '{{.ServerVersion}} store={{.Driver}}')"
else
  [ -x "$PREFIX/bin/dockerd" ] || die "no engine under $PREFIX: run scripts/e2e/install.sh first"
  if ! ctr --address "$CONTAINERD_SOCK" version >/dev/null 2>&1; then
    log "starting containerd (root $STATE/containerd)"
    as_root mkdir -p /run/bdi-e2e/containerd "$STATE/containerd"
    nohup "${ROOT[@]}" "$PREFIX/bin/containerd" --root "$STATE/containerd" --state /run/bdi-e2e/containerd \
      --address "$CONTAINERD_SOCK" >"$STATE/containerd.log" 2>&1 &
    echo $! >"$RUN/containerd.pid"
    wait_for "$!" 30 ctr --address "$CONTAINERD_SOCK" version || { tail -20 "$STATE/containerd.log" >&2; die "containerd did not start"; }
  fi
  log "starting dockerd (data root $STATE/docker)"
  echo '{"features":{"containerd-snapshotter":true}}' >"$STATE/daemon.json"
  nohup "${ROOT[@]}" env "PATH=$PATH" "$PREFIX/bin/dockerd" --config-file "$STATE/daemon.json" \
    --containerd "$CONTAINERD_SOCK" --data-root "$STATE/docker" --exec-root /run/bdi-e2e/docker \
    --pidfile /run/bdi-e2e/dockerd.pid >"$STATE/dockerd.log" 2>&1 &
  echo $! >"$RUN/dockerd.pid"
  wait_for "$!" 60 docker info || { tail -20 "$STATE/dockerd.log" >&2; die "dockerd did not start"; }
  log "docker engine up: $(docker info -f '{{.ServerVersion}}')"
fi
docker info -f '{{json .DriverStatus}}' | grep -q 'io.containerd.snapshotter' ||
  log "WARNING: the engine does not use the containerd image store; multi-platform pushes need it"

# --- QEMU ----------------------------------------------------------------------------------
if [ "${BDI_SKIP_BINFMT:-}" != 1 ]; then
  [ -e /proc/sys/fs/binfmt_misc/status ] || as_root mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  for h in qemu-aarch64 qemu-arm qemu-ppc64le; do
    if ! grep -q '^flags: .*F' "/proc/sys/fs/binfmt_misc/$h" 2>/dev/null; then
      log "registering $h"
      as_root update-binfmts --enable "$h" || die "update-binfmts --enable $h failed"
    fi
    grep -qx enabled "/proc/sys/fs/binfmt_misc/$h" || die "binfmt handler $h is not enabled"
  done
  log "binfmt: qemu-aarch64, qemu-arm, qemu-ppc64le enabled"
fi

# --- Registry (TLS + basic auth under a host name) -----------------------------------------
reg="$STATE/registry"
mkdir -p "$reg/data"
if [ ! -f "$reg/ca.crt" ]; then
  log "creating a CA and a certificate for $REG_HOST"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=bdi e2e CA" \
    -keyout "$reg/ca.key" -out "$reg/ca.crt" 2>"$reg/openssl.log" || die "openssl: CA ($(cat "$reg/openssl.log"))"
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$REG_HOST" -keyout "$reg/tls.key" -out "$reg/tls.csr" \
    2>"$reg/openssl.log" || die "openssl: key ($(cat "$reg/openssl.log"))"
  printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\n' "$REG_HOST" >"$reg/ext.cnf"
  openssl x509 -req -in "$reg/tls.csr" -CA "$reg/ca.crt" -CAkey "$reg/ca.key" -CAcreateserial \
    -days 3650 -extfile "$reg/ext.cnf" -out "$reg/tls.crt" 2>"$reg/openssl.log" || die "openssl: certificate ($(cat "$reg/openssl.log"))"
fi
if [ ! -f "$reg/password" ]; then
  (umask 077 && openssl rand -hex 16 >"$reg/password")
  out=$(htpasswd -Bbc "$reg/htpasswd" "$REG_USER" "$(cat "$reg/password")" 2>&1) || die "htpasswd failed: $out"
fi
grep -q " $REG_HOST\$" /etc/hosts || echo "127.0.0.1 $REG_HOST" | as_root tee -a /etc/hosts >/dev/null
# The registry's port, and the fault proxy's (scripts/e2e/fault-proxy.mjs) in front of it.
for port in "$REG_PORT" "${BDI_FAULT_PORT:-5444}"; do
  as_root mkdir -p "/etc/docker/certs.d/$REG_HOST:$port"
  as_root cp "$reg/ca.crt" "/etc/docker/certs.d/$REG_HOST:$port/ca.crt"
done
if ! cmp -s "$reg/ca.crt" /usr/local/share/ca-certificates/bdi-e2e.crt; then
  as_root cp "$reg/ca.crt" /usr/local/share/ca-certificates/bdi-e2e.crt
  as_root update-ca-certificates >/dev/null || die "update-ca-certificates failed"
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
reg_up() { curl -fsS --cacert "$reg/ca.crt" -o /dev/null -u "$REG_USER:$(cat "$reg/password")" "https://$REG_HOST:$REG_PORT/v2/"; }
if reg_up 2>/dev/null; then
  log "registry already serving on https://$REG_HOST:$REG_PORT"
else
  log "starting registry on https://$REG_HOST:$REG_PORT"
  nohup docker-registry serve "$reg/config.yml" >>"$STATE/registry.log" 2>&1 &
  echo $! >"$RUN/registry.pid"
  wait_for "$!" 20 reg_up || { tail -20 "$STATE/registry.log" >&2; die "the registry did not start"; }
fi

# --- The second registry: the same CA, its own certificate, user, password and storage --------
reg2="$STATE/registry2"
mkdir -p "$reg2/data"
if [ ! -f "$reg2/tls.crt" ]; then
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$REG2_HOST" -keyout "$reg2/tls.key" -out "$reg2/tls.csr" \
    2>"$reg2/openssl.log" || die "openssl: key ($(cat "$reg2/openssl.log"))"
  printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\n' "$REG2_HOST" >"$reg2/ext.cnf"
  openssl x509 -req -in "$reg2/tls.csr" -CA "$reg/ca.crt" -CAkey "$reg/ca.key" -CAcreateserial \
    -days 3650 -extfile "$reg2/ext.cnf" -out "$reg2/tls.crt" 2>"$reg2/openssl.log" || die "openssl: certificate ($(cat "$reg2/openssl.log"))"
fi
if [ ! -f "$reg2/password" ]; then
  (umask 077 && openssl rand -hex 16 >"$reg2/password")
  out=$(htpasswd -Bbc "$reg2/htpasswd" "$REG2_USER" "$(cat "$reg2/password")" 2>&1) || die "htpasswd failed: $out"
fi
grep -q " $REG2_HOST\$" /etc/hosts || echo "127.0.0.1 $REG2_HOST" | as_root tee -a /etc/hosts >/dev/null
as_root mkdir -p "/etc/docker/certs.d/$REG2_HOST:$REG2_PORT"
as_root cp "$reg/ca.crt" "/etc/docker/certs.d/$REG2_HOST:$REG2_PORT/ca.crt"
cat >"$reg2/config.yml" <<CFG
version: 0.1
log: { level: info, accesslog: { disabled: false } }
storage:
  filesystem: { rootdirectory: $reg2/data }
  delete: { enabled: true }
http:
  addr: 127.0.0.1:$REG2_PORT
  tls: { certificate: $reg2/tls.crt, key: $reg2/tls.key }
auth:
  htpasswd: { realm: bdi-e2e-2, path: $reg2/htpasswd }
CFG
reg2_up() { curl -fsS --cacert "$reg/ca.crt" -o /dev/null -u "$REG2_USER:$(cat "$reg2/password")" "https://$REG2_HOST:$REG2_PORT/v2/"; }
if reg2_up 2>/dev/null; then
  log "second registry already serving on https://$REG2_HOST:$REG2_PORT"
else
  log "starting the second registry on https://$REG2_HOST:$REG2_PORT"
  nohup docker-registry serve "$reg2/config.yml" >>"$STATE/registry2.log" 2>&1 &
  echo $! >"$RUN/registry2.pid"
  wait_for "$!" 20 reg2_up || { tail -20 "$STATE/registry2.log" >&2; die "the second registry did not start"; }
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
export BDI_REGISTRY2="$REG2_HOST:$REG2_PORT"
export BDI_REGISTRY2_USER="$REG2_USER"
export BDI_REGISTRY2_PASSWORD_FILE="$reg2/password"
export BDI_REGISTRY2_LOG="$STATE/registry2.log"
export BDI_STATE="$STATE"
export BDI_PREFIX="$PREFIX"
ENV
log "environment written to $STATE/env"
bash "$here/bases.sh"
