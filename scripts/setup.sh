#!/usr/bin/env bash
# Installs what the test suite needs on a fresh machine. Idempotent: each
# step checks first and does nothing when the tool is already there.
set -euo pipefail

need_apt=()
# --- syslog sink tests: rsyslog with TLS (gnutls) and RELP (imrelp) ---------
command -v rsyslogd >/dev/null 2>&1 || need_apt+=(rsyslog)
dpkg -s rsyslog-gnutls >/dev/null 2>&1 || need_apt+=(rsyslog-gnutls)
dpkg -s rsyslog-relp >/dev/null 2>&1 || need_apt+=(rsyslog-relp)
# --- TLS certificates for tests --------------------------------------------
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
# --- investigate --html tests: the report opened in headless Chromium ------
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)

if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: apt-get install ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

# --- Elasticsearch bulk tests: osmem-server (OpenSearch emulator) ----------
# The wheel ships the Go binary inside the Python package and no console
# script, so `command -v osmem-server` never finds it; the tests locate it
# with `osmem_server.resolve_binary()` (or $OSMEM_SERVER_BIN).
if ! python3 -c 'import osmem_server' >/dev/null 2>&1; then
  echo "setup: pip install osmem-server"
  python3 -m pip install --quiet --disable-pip-version-check 'osmem-server==0.1.6'
fi
python3 -c 'import osmem_server, subprocess; subprocess.run([osmem_server.resolve_binary(), "-version"], check=True, stdout=subprocess.DEVNULL)' \
  || { echo "setup: the osmem-server binary does not run" >&2; exit 1; }

# --- watch --since/--from against a broker that answers ListOffsets by time:
# tansu (crate registry), built into the repo's git-ignored .tools/ where
# tests/integration/watch/tansu.rs looks for it. ~6-10 min on 2 cores.
# sqlite storage needs `libsql`; `dynostore` adds memory:// and s3://.
tansu_bin="$(cd "$(dirname "$0")/.." && pwd)/.tools/bin/tansu"
if [ ! -x "$tansu_bin" ]; then
  echo "setup: cargo install tansu 0.6.0 (several minutes)"
  cargo install --quiet tansu --version 0.6.0 --locked --features dynostore,libsql \
    --root "$(dirname "$(dirname "$tansu_bin")")"
fi
"$tansu_bin" --version >/dev/null \
  || { echo "setup: the tansu binary does not run" >&2; exit 1; }

echo "setup: ok"
