#!/usr/bin/env bash
# The real cosign, syft and trivy, built from their Go modules at the versions the action
# downloads by default (src/checksums.ts, action.yml), so every e2e run exercises the same tools
# a release on GitHub does:
#   cosign  github.com/sigstore/cosign/v3  cmd/cosign
#   syft    github.com/anchore/syft        cmd/syft
#   trivy   github.com/aquasecurity/trivy  cmd/trivy
#   gh      github.com/cli/cli/v2          cmd/gh (the consumer's side: `gh attestation verify`;
#           Debian's gh predates `gh attestation`)
#   govulncheck golang.org/x/vuln          cmd/govulncheck (the action `go install`s it on the
#           runner; this build is the tests' own, to read the fixture DB and the pushed binaries)
#   policy-tester github.com/sigstore/policy-controller cmd/tester (the admission side: the
#           deploy-policies output's ClusterImagePolicies run against a release, the way
#           policy-controller's webhook judges a Pod's image; the go command names it tester)
# Built with a pinned Go (GOTOOLCHAIN=$GO: the machine's own go is used only if it is exactly
# that version, else the go command fetches that toolchain from the module proxy), CGO off,
# -trimpath, and the version ldflags each project's release build sets. Each binary is kept in
# $CACHE/<name>-<version>-<KEY>/ (KEY: the build function below and its environment, module,
# version, Go and ldflags; not the smoke tests or comments, which change no binary), stored only
# after its smoke test passed, with its sha256 beside it, checked on every reuse.
# The module downloads are kept in $CACHE/gomod (by module and version; the go command checks
# each against go.sum and the checksum database). A source build has its own sha256, not the
# release asset's: mirror.sh serves it with a checksums file of its own, and the suite passes
# those sums through the action's tools-checksums input.
# It needs no other step, so setup.sh runs it beside install, up and buildkit (the build is CPU,
# they mostly wait on downloads and pushes); it writes only $STATE/gotools and its cache.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export BDI_STEP=gotools
# shellcheck source=scripts/e2e/lib.sh
. "$here/lib.sh"

GO=go1.26.8
COSIGN=3.1.3 SYFT=1.52.0 TRIVY=0.74.0
# The GitHub CLI the e2e verifies releases with: attestation verify --bundle-from-oci and --custom-trusted-root.
GH=2.83.0
# The action's default govulncheck-version (src/inputs/reachability.ts).
GOVULNCHECK=1.10.0
# policy-controller's tester: the newest policy-controller the module proxy serves.
POLICY_CONTROLLER=0.13.1
# name  module  package  version  GOEXPERIMENT  ldflags (each project's goreleaser sets these;
# trivy 0.73 imports encoding/json/v2, which Go 1.26 builds only with GOEXPERIMENT=jsonv2)
# [in-module: `go install PKG@VERSION` refuses a module whose go.mod has replace directives
# (policy-controller's has), so the module's own source is built as the main module instead]
TOOLS=(
  "cosign|github.com/sigstore/cosign/v3|cmd/cosign|v$COSIGN||-s -w -X sigs.k8s.io/release-utils/version.gitVersion=v$COSIGN"
  "syft|github.com/anchore/syft|cmd/syft|v$SYFT||-s -w -X main.version=$SYFT"
  "trivy|github.com/aquasecurity/trivy|cmd/trivy|v$TRIVY|jsonv2|-s -w -X github.com/aquasecurity/trivy/pkg/version/app.ver=$TRIVY"
  "gh|github.com/cli/cli/v2|cmd/gh|v$GH||-s -w -X github.com/cli/cli/v2/internal/build.Version=$GH"
  "govulncheck|golang.org/x/vuln|cmd/govulncheck|v$GOVULNCHECK||-s -w"
  "policy-tester|github.com/sigstore/policy-controller|cmd/tester|v$POLICY_CONTROLLER||-s -w -X sigs.k8s.io/release-utils/version.gitVersion=v$POLICY_CONTROLLER|in-module"
)
# gotools.sh [NAME...]: only the tools named (a helper adding a tool builds just that one by hand).
only=" $* "
CACHE=${BDI_GOTOOLS_CACHE:-/var/cache/bdi-e2e/gotools}
OUT="$STATE/gotools"
command -v go >/dev/null || die "no go on PATH: this machine kind has Go 1.26; install Go to build the e2e tools"
export GOTOOLCHAIN=$GO GOFLAGS=-trimpath CGO_ENABLED=0 GOMODCACHE="$CACHE/gomod" GOPROXY=${GOPROXY:-https://proxy.golang.org} GOSUMDB=${GOSUMDB:-sum.golang.org}
# build_tool OUTDIR MODULE/PKG@VERSION GOEXPERIMENT LDFLAGS: the whole recipe of a binary (with
# the exports above).
build_tool() {
  GOCACHE=$gocache GOBIN="$1" GOEXPERIMENT=$3 retry 2 go install -ldflags "$4" "$2"
}
# build_in_module OUTDIR MODULE/PKG@VERSION GOEXPERIMENT LDFLAGS MODULE: the same, for a module
# with replace directives: its source (checked against the checksum database by go mod download)
# copied out of the read-only module cache and built there with its own go.mod, go.sum and
# replaces, the way the project's Makefile builds it; -mod=readonly, so nothing is resolved anew.
build_in_module() {
  local src dir pkg=${2%@*}
  dir=$(retry 2 go mod download -json "$5@${2##*@}" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  [ -d "$dir" ] || return 1
  src=$(mktemp -d)
  cp -r "$dir/." "$src" && chmod -R u+w "$src"
  (cd "$src" && GOCACHE=$gocache GOEXPERIMENT=$3 retry 2 go build -mod=readonly -ldflags "$4" -o "$1/" "./${pkg#"$5"/}") || { rm -rf "$src"; return 1; }
  rm -rf "$src"
}
gov=$(retry 3 go version) || die "GOTOOLCHAIN=$GO go version failed: the module proxy could not give toolchain $GO"
case "$gov" in *" $GO "*) ;; *) die "asked for $GO, the go command runs: $gov" ;; esac

# smoke NAME BIN: the binary runs, says its version, and does the one job the suite relies on.
smoke() {
  local name=$1 bin=$2 t out
  t=$(mktemp -d)
  case "$name" in
  cosign)
    out=$("$bin" version 2>&1) || die "cosign $COSIGN does not run: $out"
    grep -q "v$COSIGN" <<<"$out" || die "cosign says it is not v$COSIGN: $out"
    (cd "$t" && COSIGN_PASSWORD=smoke "$bin" generate-key-pair >/dev/null 2>&1) || die "cosign generate-key-pair failed"
    printf 'smoke' >"$t/blob"
    COSIGN_PASSWORD=smoke "$bin" sign-blob --yes --key "$t/cosign.key" --use-signing-config=false --tlog-upload=false \
      --bundle "$t/blob.bundle" "$t/blob" >/dev/null 2>&1 || die "cosign sign-blob with a key failed"
    "$bin" verify-blob --key "$t/cosign.pub" --insecure-ignore-tlog=true --bundle "$t/blob.bundle" "$t/blob" >/dev/null 2>&1 ||
      die "cosign verify-blob of its own signature failed"
    ;;
  syft)
    out=$("$bin" version 2>&1) || die "syft $SYFT does not run: $out"
    grep -Eq "^Version: +$SYFT$" <<<"$out" || die "syft says it is not $SYFT: $out"
    # A distroless-style package record and a Go binary (syft itself): both catalogers must answer.
    mkdir -p "$t/root/var/lib/dpkg/status.d" "$t/root/usr/bin"
    printf 'Package: smoke-pkg\nVersion: 1.2-3\nArchitecture: arm64\nMaintainer: e2e\nDescription: e2e\nStatus: install ok installed\n' \
      >"$t/root/var/lib/dpkg/status.d/smoke-pkg"
    # The distro names the purl's namespace; without os-release syft gives a deb no purl.
    mkdir -p "$t/root/etc" && printf 'ID=debian\nVERSION_ID="13"\n' >"$t/root/etc/os-release"
    cp "$bin" "$t/root/usr/bin/syft"
    out=$("$bin" scan "dir:$t/root" -o cyclonedx-json -q 2>&1) || die "syft scan failed: $(tail -c 1000 <<<"$out")"
    grep -q '"pkg:deb/debian/smoke-pkg@1.2-3?arch=arm64&distro=debian-13"' <<<"$out" ||
      die "syft did not read status.d: $(grep -o '"purl":"pkg:deb[^"]*"' <<<"$out" | head -5)"
    grep -q '"pkg:golang/github.com/anchore/syft@v' <<<"$out" || die "syft did not read a Go binary's build info"
    ;;
  trivy)
    out=$("$bin" --version 2>&1) || die "trivy $TRIVY does not run: $out"
    grep -Eq "^Version: $TRIVY$" <<<"$out" || die "trivy says it is not $TRIVY: $out"
    # Its scan against the fixture DB is trivy.sh's smoke test (the DB lives in the registry).
    ;;
  gh)
    out=$("$bin" --version 2>&1) || die "gh $GH does not run: $out"
    grep -Eq "^gh version $GH( |$)" <<<"$out" || die "gh says it is not $GH: $out"
    # The flags the e2e verifies with: bundles from the registry, a private Sigstore's trusted root.
    out=$("$bin" attestation verify --help 2>&1) || die "gh attestation verify --help failed: $out"
    for flag in --bundle-from-oci --custom-trusted-root --owner --signer-workflow --predicate-type; do
      grep -q -- "$flag" <<<"$out" || die "gh $GH attestation verify has no $flag"
    done
    ;;
  govulncheck)
    out=$("$bin" -version 2>&1) || die "govulncheck $GOVULNCHECK does not run: $out"
    grep -q "govulncheck@v$GOVULNCHECK" <<<"$out" || die "govulncheck says it is not v$GOVULNCHECK: $out"
    # Binary mode on itself against the suite's fixture DB, as OpenVEX: the fixture's standard
    # library entry (every Go version, a symbol no binary here calls) must come out not_affected.
    out=$("$bin" -mode binary -db "file://$here/govulndb" -format openvex "$bin" 2>&1) || die "govulncheck -mode binary -format openvex failed: $(tail -c 1000 <<<"$out")"
    grep -q '"@context": "https://openvex.dev/ns/v0.2.0"' <<<"$out" || die "govulncheck wrote no OpenVEX: $(head -c 1000 <<<"$out")"
    grep -q '"name": "GO-2099-0005"' <<<"$out" || die "govulncheck did not judge the fixture DB's stdlib entry GO-2099-0005: $(head -c 2000 <<<"$out")"
    ;;
  policy-tester)
    out=$("$bin" -version 2>&1) || die "policy-tester $POLICY_CONTROLLER does not run: $out"
    grep -Eq "^GitVersion: +v$POLICY_CONTROLLER$" <<<"$out" || die "policy-tester says it is not v$POLICY_CONTROLLER: $out"
    # Offline, the policy half of its job: a key authority's policy is validated and compiled, an
    # image its glob does not cover is refused by name, and a policy with no authority is refused.
    openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl ec -pubout -out "$t/key.pub" 2>/dev/null || die "openssl could not make a smoke key"
    {
      printf 'apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata:\n  name: smoke\nspec:\n  images:\n  - glob: registry.smoke.invalid/app*\n'
      printf '  authorities:\n  - key:\n      hashAlgorithm: sha256\n      data: |\n'
      sed 's/^/        /' "$t/key.pub"
    } >"$t/cip.yaml"
    local other=registry.smoke.invalid/other@sha256:0000000000000000000000000000000000000000000000000000000000000000
    out=$("$bin" -policy "$t/cip.yaml" -image "$other" 2>&1) && die "policy-tester admitted an image no policy covers: $out"
    grep -q "registry.smoke.invalid/other@sha256:0\{64\} is uncovered by policy" <<<"$out" || die "policy-tester did not refuse the uncovered image by name: $(tail -c 1000 <<<"$out")"
    sed -n '1,7p' "$t/cip.yaml" >"$t/none.yaml"
    out=$("$bin" -policy "$t/none.yaml" -image "$other" 2>&1) && die "policy-tester took a policy with no authority: $out"
    grep -q "CIP is invalid" <<<"$out" || die "policy-tester did not call a policy with no authority invalid: $(tail -c 1000 <<<"$out")"
    ;;
  esac
  rm -rf "$t"
}

mkdir -p "$OUT"
gocache=$(mktemp -d)
trap 'rm -rf "$gocache"' EXIT
for spec in "${TOOLS[@]}"; do
  IFS='|' read -r name module pkg version experiment ldflags how <<<"$spec"
  [ "$only" = "  " ] || [[ "$only" == *" $name "* ]] || continue
  recipe=build_tool
  [ "$how" != in-module ] || recipe=build_in_module
  key=$(recipe_key -- "$(declare -f $recipe retry)" "GOFLAGS=$GOFLAGS CGO_ENABLED=$CGO_ENABLED" "$module/$pkg@$version" "$gov" "GOEXPERIMENT=$experiment" "$ldflags")
  dir="$CACHE/$name-${version#v}-$key"
  if [ -f "$dir/$name.sha256" ] && (cd "$dir" && sha256sum -c --quiet "$name.sha256" 2>/dev/null); then
    log "$name $version: the smoke-tested build from $dir (key $key, sha256 checked)"
  else
    log "$name $version: building $module/$pkg with $GO (key $key)"
    start=$(date +%s)
    build=$(mktemp -d)
    $recipe "$build" "$module/$pkg@$version" "$experiment" "$ldflags" "$module" || die "$recipe $module/$pkg@$version failed (see above)"
    log "$name $version: built in $(($(date +%s) - start)) s"
    # The go command names the binary after the package's directory (cmd/tester: tester).
    [ "${pkg##*/}" = "$name" ] || mv "$build/${pkg##*/}" "$build/$name"
    smoke "$name" "$build/$name"
    rm -rf "$CACHE/$name-"[0-9]*
    mkdir -p "$dir.part"
    mv "$build/$name" "$dir.part/$name"
    (cd "$dir.part" && sha256sum "$name" >"$name.sha256")
    mv "$dir.part" "$dir"
    rm -rf "$build"
  fi
  install -m 755 "$dir/$name" "$OUT/$name"
done
# The module cache is read-only as the go command leaves it; the build cache is thrown away.
chmod -R u+w "$gocache" 2>/dev/null || true
log "ready: ${*:-cosign $COSIGN, syft $SYFT, trivy $TRIVY, gh $GH, govulncheck $GOVULNCHECK, policy-tester $POLICY_CONTROLLER} in $OUT"
