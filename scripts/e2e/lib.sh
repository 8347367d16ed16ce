# shellcheck shell=bash
# Shared by the e2e setup scripts (install.sh, up.sh, bases.sh, mirror.sh, reset.sh):
#   - loud failure: die names what failed; nothing is piped into `|| true`;
#   - retry with backoff for the archive's transient errors (mirror sync, resets);
#   - a private apt configuration under $BDI_STATE/apt that reads Debian trixie (amd64, arm64,
#     and for the benchmark armhf, riscv64) and sid (amd64) without adding a suite or an
#     architecture to the host;
#   - a .deb download cache keyed by file name (= package, version, arch) and checked against
#     the sha256 the signed archive index gives, the one thing kept between runs;
#   - recipe keys: a sha256 over the recipe files and the exact .debs that went in.
# Sourced, never run. Callers set BDI_STEP (the log prefix) first.

# shellcheck disable=SC2034 # used by the scripts that source this file
PREFIX=${BDI_PREFIX:-/opt/bdi-e2e}
STATE=${BDI_STATE:-/var/lib/bdi-e2e}
DEB_CACHE=${BDI_DEB_CACHE:-/var/cache/bdi-e2e/debs}
E2E_APT="$STATE/apt"
# as_root CMD...: root already, or through sudo.
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
# The same as a command prefix, for `nohup "${ROOT[@]}" CMD &` (a function cannot be nohup'd).
ROOT=()
[ "$(id -u)" = 0 ] || ROOT=(sudo)

log() { printf '[%s] %s\n' "${BDI_STEP:-e2e}" "$*" >&2; }
die() {
  printf '\n[%s] ERROR: %s\n' "${BDI_STEP:-e2e}" "$*" >&2
  exit 1
}

# retry TRIES CMD...: runs CMD until it succeeds, waiting 3, 6, 12... s between attempts.
retry() {
  local tries=$1 n=1 delay=3
  shift
  until "$@"; do
    [ "$n" -lt "$tries" ] || return 1
    log "attempt $n of $tries failed: $*; retrying in ${delay}s"
    sleep "$delay"
    n=$((n + 1))
    delay=$((delay * 2))
  done
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# --- the private apt configuration ---------------------------------------------------------
# amd64 and arm64 for the tests; the benchmark adds armhf and riscv64 (BDI_EXTRA_ARCHES) for its
# 4-platform scaling runs.
E2E_ARCHES=$(echo "amd64 arm64 ${BDI_EXTRA_ARCHES:-}" | tr -s ' ' '\n' | awk 'NF && !seen[$0]++' | xargs)

# debian_source TYPES SUITE ARCHES: one deb822 stanza of Debian's archive (no trailing blank line).
debian_source() {
  printf 'Types: %s\nURIs: http://deb.debian.org/debian\nSuites: %s\nComponents: main\n' "$1" "$2"
  printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\nArchitectures: %s\n' "$3"
}

# apt_config DIR ARCHES SOURCES [EXTRA]: an apt configuration of its own in DIR (lists, cache,
# an empty dpkg status), reading only SOURCES; EXTRA is appended to its apt.conf.
apt_config() {
  local d=$1 arches=$2 arch
  mkdir -p "$d/lists/partial" "$d/cache/archives/partial" "$d/sources"
  : >"$d/status"
  printf '%s' "$3" >"$d/sources/bdi-e2e.sources"
  {
    printf 'Dir::State::Lists "%s/lists";\nDir::State::status "%s/status";\n' "$d" "$d"
    printf 'Dir::Etc::SourceList "/dev/null";\nDir::Etc::SourceParts "%s/sources";\n' "$d"
    printf 'Dir::Etc::Preferences "/dev/null";\nDir::Etc::PreferencesParts "/dev/null";\n'
    printf 'Dir::Cache "%s/cache";\nAcquire::Languages "none";\nAPT::Architectures {' "$d"
    for arch in $arches; do printf ' "%s";' "$arch"; done
    printf ' };\n%s\n' "${4:-}"
  } >"$d/apt.conf"
}

# trixie for the base images' packages of every arch; sid (amd64) for the engine and cosign 3.
e2e_apt_config() {
  # deb822 stanzas are separated by a blank line.
  apt_config "$E2E_APT" "$E2E_ARCHES" "$(debian_source deb trixie "$E2E_ARCHES")

$(debian_source deb sid amd64)
"
}

# The binary cache is named on the command line: the host's apt.conf.d may switch it off, and
# without it every look-up re-reads all the indexes.
e2e_apt() { APT_CONFIG="$E2E_APT/apt.conf" apt-get -o Dir::Cache::pkgcache=pkgcache.bin -o Dir::Cache::srcpkgcache= "$@"; }

# The index is fetched once per setup (a marker in $STATE, which reset removes). --error-on=any
# turns a mirror caught mid-sync ("File has unexpected size") into a failure, which is retried.
e2e_apt_update() {
  [ "$(cat "$E2E_APT/.updated" 2>/dev/null)" = "$E2E_ARCHES" ] && return 0
  e2e_apt_config
  log "apt-get update (private config: trixie for $E2E_ARCHES, sid for amd64)"
  retry 5 e2e_apt update -qq --error-on=any || die "apt-get update of Debian's archive failed 5 times (see above)"
  rm -rf "$E2E_APT/memo"
  printf '%s\n' "$E2E_ARCHES" >"$E2E_APT/.updated"
}

# deb_uris SUITE "ARCH..." PKG...: one line per package and arch, "URL FILE SIZE SHA256:HEX",
# from the signed index. PKG:all asks for the architecture-independent package. Answers are
# memoised until the next apt-get update (one look-up costs seconds).
deb_uris() {
  local suite=$1 arches=$2 p arch out memo
  shift 2
  local want=()
  for p in "$@"; do
    case $p in
      *:all) want+=("${p%:all}") ;;
      *) for arch in $arches; do want+=("$p:$arch"); done ;;
    esac
  done
  memo="$E2E_APT/memo/$(printf '%s\n' "$suite" "${want[@]}" | sha256sum | cut -c1-16)"
  if [ ! -f "$memo" ]; then
    if ! out=$(e2e_apt download --print-uris -t "$suite" "${want[@]}" 2>&1); then
      die "cannot download from Debian $suite for $arches: ${want[*]}
$(printf '%s\n' "$out" | grep '^E:')"
    fi
    mkdir -p "$E2E_APT/memo"
    printf '%s\n' "$out" | grep "^'" | tr -d "'" >"$memo.tmp"
    mv "$memo.tmp" "$memo"
  fi
  cat "$memo"
}

# deb_fetch SUITE "ARCH..." PKG...: prints the cached .deb paths, downloading the missing ones.
deb_fetch() {
  local uris url file sum path tmp
  uris=$(deb_uris "$@") || exit 1
  mkdir -p "$DEB_CACHE"
  while read -r url file _ sum; do
    sum=${sum#SHA256:}
    path="$DEB_CACHE/$file"
    if [ ! -f "$path" ] || [ "$(sha256_of "$path")" != "$sum" ]; then
      tmp="$path.part.$$"
      retry 4 curl -fsS --connect-timeout 20 --max-time 600 -o "$tmp" "$url" ||
        die "download failed: $url (Debian $1, $2)"
      [ "$(sha256_of "$tmp")" = "$sum" ] || { rm -f "$tmp"; die "sha256 mismatch for $file from $url"; }
      mv "$tmp" "$path"
    fi
    printf '%s\n' "$path"
  done <<<"$uris"
}

# deb_unpack DEST SUITE "ARCH..." PKG...: download (cached) and unpack into DEST.
deb_unpack() {
  local dest=$1 deb debs
  shift
  debs=$(deb_fetch "$@") || exit 1
  [ -n "$debs" ] || die "no .deb resolved for $* "
  mkdir -p "$dest"
  while read -r deb; do
    dpkg-deb -x "$deb" "$dest" || die "dpkg-deb -x $deb failed"
  done <<<"$debs"
}

# deb_status DEST SUITE ARCH PKG...: one dpkg record per package in DEST/var/lib/dpkg/status.d,
# as distroless has them (no dpkg database), so a scanner finds the packages as in the real image.
deb_status() {
  local dest=$1 deb debs
  shift
  debs=$(deb_fetch "$@") || exit 1
  mkdir -p "$dest/var/lib/dpkg/status.d"
  while read -r deb; do
    { dpkg-deb -f "$deb"; printf 'Status: install ok installed\n'; } >"$dest/var/lib/dpkg/status.d/$(dpkg-deb -f "$deb" Package)" ||
      die "dpkg-deb -f $deb failed"
  done <<<"$debs"
}

# recipe_key FILE... -- TEXT...: a short sha256 over the files' contents and the texts (e.g. the
# deb_uris lines, whose sha256s pin every package that went in).
recipe_key() {
  local f
  {
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
      printf '== %s\n' "$(basename "$1")"
      cat "$1" || die "recipe file missing: $1"
      shift
    done
    [ $# -gt 0 ] && shift
    for f in "$@"; do printf '%s\n' "$f"; done
  } | sha256sum | cut -c1-16
}

wait_for() { # wait_for PID SECONDS CMD...: until CMD succeeds; fails early when PID has died
  local pid=$1 t=$2 i
  shift 2
  for ((i = 0; i < t * 5; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || { log "process $pid exited"; return 1; }
    sleep 0.2
  done
  "$@"
}
