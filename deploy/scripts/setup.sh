#!/usr/bin/env bash
# Everything the two README commands need before Node.js code can run, idempotently:
# Debian packages (the native node-rdkafka build, interop tools), npm dependencies, the build.
# Sourced by start.sh and test.sh; safe to run again at any time.
set -euo pipefail

PULSEWIRE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# librdkafka's configure silently drops zstd and GSSAPI without these (local-services.md).
# kcat and protoc are the third-party tools the interop tests use; mosquitto is the broker of
# the benchmark peer (bench/peer), which runs its own instance on its own port. chromium drives
# the web console's browser tests (puppeteer-core, no downloaded browser); prometheus is the
# scraper of `pulsewire stack up --with-prometheus`, run by the stack on its own port.
PULSEWIRE_APT_PACKAGES=(build-essential python3 openssl libssl-dev zlib1g-dev libzstd-dev liblz4-dev libsasl2-dev kcat protobuf-compiler mosquitto-clients mosquitto chromium prometheus)

log() { printf '[setup] %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"
  else
    log "need root to run: $*"; return 1
  fi
}

ensure_system_packages() {
  local missing=() pkg
  for pkg in "${PULSEWIRE_APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null 2>&1 || missing+=(maven)
  command -v go >/dev/null 2>&1 || missing+=(golang-go)
  if [ "${#missing[@]}" -eq 0 ]; then return 0; fi
  if ! command -v apt-get >/dev/null 2>&1; then
    log "missing system packages (${missing[*]}) and no apt-get: install their equivalents, then run again"
    return 1
  fi
  log "installing Debian packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if printf '%s\n' "${missing[@]}" | grep -qx mosquitto; then quiet_system_service mosquitto; fi
  if printf '%s\n' "${missing[@]}" | grep -qx prometheus; then quiet_system_service prometheus; fi
}

# Debian's mosquitto and prometheus packages enable and start a system service (systemd, or
# their init script where no policy-rc.d forbids it): a broker on 1883, a scraper on 9090.
# `pulsewire up` needs port 1883, the peer runs its own broker and the stack its own Prometheus,
# so a service this install started is stopped and disabled. One installed before is not touched.
quiet_system_service() {
  local name="$1"
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    as_root systemctl disable --now "$name.service" >/dev/null 2>&1 || true
  elif [ -x "/etc/init.d/$name" ]; then
    # Stops by its PID file (/run/<name>/...); a no-op when it never started.
    as_root "/etc/init.d/$name" stop >/dev/null 2>&1 || true
    as_root update-rc.d "$name" disable >/dev/null 2>&1 || true
  fi
}

ensure_node_version() {
  local major
  major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  if [ "$major" -lt 20 ]; then
    log "Node.js >= 20 is required (found: $(node --version 2>/dev/null || echo none))"
    return 1
  fi
}

ensure_node_modules() {
  cd "$PULSEWIRE_ROOT"
  # npm ci when the lockfile changed since the last install (or nothing is installed yet).
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] \
    || [ ! -f node_modules/node-rdkafka/build/Release/node-librdkafka.node ]; then
    log "installing npm dependencies (builds librdkafka natively: about 1-4 minutes the first time)"
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

build() {
  cd "$PULSEWIRE_ROOT"
  npm run --silent build
}

pulsewire_setup() {
  ensure_node_version
  ensure_system_packages
  ensure_node_modules
  build
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  pulsewire_setup
fi
