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
  for h in qemu-aarch64 qemu-arm qemu-ppc64le qemu-riscv64; do
    if ! grep -q '^flags: .*F' "/proc/sys/fs/binfmt_misc/$h" 2>/dev/null; then
      log "registering $h"
      as_root update-binfmts --enable "$h" || die "update-binfmts --enable $h failed"
    fi
    grep -qx enabled "/proc/sys/fs/binfmt_misc/$h" || die "binfmt handler $h is not enabled"
  done
  log "binfmt: qemu-aarch64, qemu-arm, qemu-ppc64le, qemu-riscv64 enabled"
fi

# --- Registries (TLS from the e2e CA, basic auth under a host name) ------------------------
reg="$STATE/registry"
reg2="$STATE/registry2"
mkdir -p "$reg"
if [ ! -f "$reg/ca.crt" ]; then
  log "creating the e2e CA"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=bdi e2e CA" \
    -keyout "$reg/ca.key" -out "$reg/ca.crt" 2>"$reg/openssl.log" || die "openssl: CA ($(cat "$reg/openssl.log"))"
fi
if ! cmp -s "$reg/ca.crt" /usr/local/share/ca-certificates/bdi-e2e.crt; then
  as_root cp "$reg/ca.crt" /usr/local/share/ca-certificates/bdi-e2e.crt
  as_root update-ca-certificates >/dev/null || die "update-ca-certificates failed"
fi

# serve_registry NAME DIR HOST USER PORT [TRUSTED_PORT...]: a distribution registry serving DIR's
# storage on HOST:PORT with a certificate from the e2e CA and one htpasswd user of its own (password
# in DIR/password); docker trusts the CA on PORT and on each TRUSTED_PORT (a proxy in front of it).
serve_registry() {
  local name=$1 dir=$2 host=$3 user=$4 port=$5
  shift 4
  mkdir -p "$dir/data"
  if [ ! -f "$dir/tls.crt" ]; then
    log "creating a certificate for $host"
    openssl req -newkey rsa:2048 -nodes -subj "/CN=$host" -keyout "$dir/tls.key" -out "$dir/tls.csr" \
      2>"$dir/openssl.log" || die "openssl: key ($(cat "$dir/openssl.log"))"
    printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\n' "$host" >"$dir/ext.cnf"
    openssl x509 -req -in "$dir/tls.csr" -CA "$reg/ca.crt" -CAkey "$reg/ca.key" -CAcreateserial \
      -days 3650 -extfile "$dir/ext.cnf" -out "$dir/tls.crt" 2>"$dir/openssl.log" || die "openssl: certificate ($(cat "$dir/openssl.log"))"
  fi
  if [ ! -f "$dir/password" ]; then
    (umask 077 && openssl rand -hex 16 >"$dir/password")
    out=$(htpasswd -Bbc "$dir/htpasswd" "$user" "$(cat "$dir/password")" 2>&1) || die "htpasswd failed: $out"
  fi
  grep -q " $host\$" /etc/hosts || echo "127.0.0.1 $host" | as_root tee -a /etc/hosts >/dev/null
  for p in "$@"; do
    as_root mkdir -p "/etc/docker/certs.d/$host:$p"
    as_root cp "$reg/ca.crt" "/etc/docker/certs.d/$host:$p/ca.crt"
  done
  cat >"$dir/config.yml" <<CFG
version: 0.1
log: { level: info, accesslog: { disabled: false } }
storage:
  filesystem: { rootdirectory: $dir/data }
  delete: { enabled: true }
http:
  addr: 127.0.0.1:$port
  tls: { certificate: $dir/tls.crt, key: $dir/tls.key }
auth:
  htpasswd: { realm: bdi-e2e-$name, path: $dir/htpasswd }
CFG
  # Called by wait_for from here, so it sees this function's locals.
  registry_up() { curl -fsS --cacert "$reg/ca.crt" -o /dev/null -u "$user:$(cat "$dir/password")" "https://$host:$port/v2/"; }
  if registry_up 2>/dev/null; then
    log "$name already serving on https://$host:$port"
  else
    log "starting $name on https://$host:$port"
    nohup docker-registry serve "$dir/config.yml" >>"$STATE/$name.log" 2>&1 &
    echo $! >"$RUN/$name.pid"
    wait_for "$!" 20 registry_up || { tail -20 "$STATE/$name.log" >&2; die "$name did not start"; }
  fi
}
# The registry, with the fault proxy's port (scripts/e2e/fault-proxy.mjs) in front of it; and a
# second one with its own host, certificate and credentials, where `images` sends copies.
serve_registry registry "$reg" "$REG_HOST" "$REG_USER" "$REG_PORT" "${BDI_FAULT_PORT:-5444}"
serve_registry registry2 "$reg2" "$REG2_HOST" "$REG2_USER" "$REG2_PORT"

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
