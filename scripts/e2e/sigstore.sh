#!/usr/bin/env bash
# The local Sigstore STAND-IN (scripts/e2e/sigstore-standin.mjs): GitHub's OIDC token service,
# a Fulcio CA and a Rekor log on loopback, over HTTPS with a certificate from the e2e CA (which
# up.sh put in the system trust store, where cosign looks). Started like the registry, stopped by
# e2e:reset. Before the suite may use it, each cosign line signs and verifies a blob keylessly
# through it, taking the token from ACTIONS_ID_TOKEN_REQUEST_URL as it does in a job.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export BDI_STEP=sigstore
# shellcheck source=scripts/e2e/lib.sh
. "$here/lib.sh"
# shellcheck disable=SC1091
. "$STATE/env"
BASE=${BDI_SIGSTORE_PORT_BASE:-5470}
dir="$STATE/sigstore"
mkdir -p "$dir" "$STATE/run"
reg="$STATE/registry"
node_bin=$(command -v node) || die "node is not on PATH"

if [ ! -f "$dir/tls.crt" ]; then
  log "issuing the stand-in's TLS certificate (127.0.0.1) from the e2e CA"
  openssl req -newkey rsa:2048 -nodes -subj "/CN=sigstore stand-in" -keyout "$dir/tls.key" -out "$dir/tls.csr" \
    2>"$dir/openssl.log" || die "openssl: key ($(cat "$dir/openssl.log"))"
  printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$dir/ext.cnf"
  openssl x509 -req -in "$dir/tls.csr" -CA "$reg/ca.crt" -CAkey "$reg/ca.key" -CAcreateserial \
    -days 3650 -extfile "$dir/ext.cnf" -out "$dir/tls.crt" 2>"$dir/openssl.log" || die "openssl: certificate ($(cat "$dir/openssl.log"))"
fi

up() { curl -fsS -o /dev/null "https://127.0.0.1:$BASE/.well-known/openid-configuration"; }
if up 2>/dev/null && [ -s "$dir/trusted_root.json" ] && [ -s "$dir/signing_config.json" ]; then
  log "stand-in already serving on https://127.0.0.1:$BASE-$((BASE + 2))"
else
  rm -f "$dir/urls.json" "$dir/trusted_root.json" "$dir/signing_config.json"
  log "starting the Sigstore stand-in on https://127.0.0.1:$BASE-$((BASE + 2))"
  nohup "$node_bin" "$here/sigstore-standin.mjs" --dir "$dir" --cert "$dir/tls.crt" --key "$dir/tls.key" \
    --port-base "$BASE" </dev/null >>"$dir/standin.log" 2>&1 &
  echo $! >"$STATE/run/sigstore.pid"
  ready() { up && [ -s "$dir/urls.json" ]; }
  wait_for "$!" 20 ready || { tail -20 "$dir/standin.log" >&2; die "the Sigstore stand-in did not start"; }
  # The trust files, made by cosign itself from the stand-in's keys: the formats a private
  # instance's operators would hand out.
  since=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)
  out=$("$STATE/gotools/cosign" trusted-root create \
    --fulcio="url=https://127.0.0.1:$((BASE + 1)),certificate-chain=$dir/fulcio.pem,start-time=$since" \
    --rekor="url=https://127.0.0.1:$((BASE + 2)),public-key=$dir/rekor.pub,start-time=$since" \
    --ctfe="url=https://127.0.0.1:$((BASE + 1)),public-key=$dir/ctlog.pub,start-time=$since" \
    --out "$dir/trusted_root.json" 2>&1) || die "cosign trusted-root create failed: $out"
  out=$("$STATE/gotools/cosign" signing-config create \
    --fulcio="url=https://127.0.0.1:$((BASE + 1)),api-version=1,start-time=$since,operator=bdi-e2e-standin" \
    --rekor="url=https://127.0.0.1:$((BASE + 2)),api-version=1,start-time=$since,operator=bdi-e2e-standin" \
    --rekor-config=ANY \
    --oidc-provider="url=https://127.0.0.1:$BASE,api-version=1,start-time=$since,operator=bdi-e2e-standin" \
    --out "$dir/signing_config.json" 2>&1) || die "cosign signing-config create failed: $out"
fi

# --- smoke test: both cosign lines, keyless, the token fetched the way a job fetches it ------
job() { # job JOB_WORKFLOW_REF -> "URL TOKEN"
  curl -fsS -X POST -H 'content-type: application/json' "https://127.0.0.1:$BASE/_standin/jobs" \
    -d "{\"claims\":{\"sub\":\"repo:bdi/smoke:ref:refs/heads/main\",\"repository\":\"bdi/smoke\",\"repository_owner\":\"bdi\",\"ref\":\"refs/heads/main\",\"job_workflow_ref\":\"$1\"}}" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);console.log(j.url+" "+j.token)})'
}
t=$(mktemp -d "${TMPDIR:-/tmp}/bdi-sigstore-smoke.XXXXXX")
echo "smoke $(date +%s%N)" >"$t/blob"
wf="bdi/smoke/.github/workflows/smoke.yml@refs/heads/main"
read -r url token < <(job "$wf") || die "the stand-in's token service did not answer"
ident=(--certificate-identity "https://github.com/$wf" --certificate-oidc-issuer https://token.actions.githubusercontent.com)
c3="$STATE/gotools/cosign" c2="$PREFIX/trixie/usr/bin/cosign"
run_smoke() { # run_smoke NAME CMD... : output kept for the error
  local name=$1; shift
  "$@" >"$t/$name.log" 2>&1 || { tail -15 "$t/$name.log" >&2; die "stand-in smoke test failed: $name"; }
}
export ACTIONS_ID_TOKEN_REQUEST_URL="$url" ACTIONS_ID_TOKEN_REQUEST_TOKEN="$token"
run_smoke cosign3-sign "$c3" sign-blob --yes --signing-config "$dir/signing_config.json" --trusted-root "$dir/trusted_root.json" \
  --bundle "$t/b3.json" "$t/blob"
run_smoke cosign3-verify "$c3" verify-blob --bundle "$t/b3.json" --trusted-root "$dir/trusted_root.json" "${ident[@]}" "$t/blob"
# cosign 2 reads the keys as PEM files: the ones the stand-in wrote (the action writes its own from the trusted root).
export SIGSTORE_ROOT_FILE="$dir/fulcio.pem" SIGSTORE_REKOR_PUBLIC_KEY="$dir/rekor.pub" SIGSTORE_CT_LOG_PUBLIC_KEY_FILE="$dir/ctlog.pub"
run_smoke cosign2-sign "$c2" sign-blob --yes --fulcio-url "https://127.0.0.1:$((BASE + 1))" --rekor-url "https://127.0.0.1:$((BASE + 2))" \
  --bundle "$t/b2.json" "$t/blob"
run_smoke cosign2-verify "$c2" verify-blob --bundle "$t/b2.json" --rekor-url "https://127.0.0.1:$((BASE + 2))" "${ident[@]}" "$t/blob"
if "$c3" verify-blob --bundle "$t/b3.json" --trusted-root "$dir/trusted_root.json" \
  --certificate-identity "https://github.com/bdi/smoke/.github/workflows/other.yml@refs/heads/main" \
  --certificate-oidc-issuer https://token.actions.githubusercontent.com "$t/blob" >"$t/neg.log" 2>&1; then
  die "stand-in smoke test: a wrong identity verified"
fi
rm -rf "$t"
log "cosign 3 and cosign 2 signed and verified keylessly through the stand-in"

grep -q BDI_SIGSTORE_URL "$STATE/env" || cat >>"$STATE/env" <<ENV
export BDI_SIGSTORE_URL="https://127.0.0.1:$BASE"
export BDI_SIGSTORE_TRUSTED_ROOT="$dir/trusted_root.json"
export BDI_SIGSTORE_SIGNING_CONFIG="$dir/signing_config.json"
export BDI_SIGSTORE_REQUEST_LOG="$dir/requests.log"
ENV
