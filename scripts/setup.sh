#!/usr/bin/env bash
# Installs what the test suite needs on a fresh machine, as root or as a
# normal user (apt-get through sudo). Idempotent: each step checks first
# and does nothing when the tool is already there. Python tools go into a
# virtual environment of the repository (scripts/setup-python.sh), never
# into the system Python (PEP 668).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

need_apt=()
# --- Python tools in a virtual environment (scripts/setup-python.sh) -------
command -v python3 >/dev/null 2>&1 || need_apt+=(python3)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need_apt+=(python3-venv)
# --- syslog sink tests: rsyslog with TLS (gnutls) and RELP (imrelp) ---------
command -v rsyslogd >/dev/null 2>&1 || need_apt+=(rsyslog)
dpkg -s rsyslog-gnutls >/dev/null 2>&1 || need_apt+=(rsyslog-gnutls)
dpkg -s rsyslog-relp >/dev/null 2>&1 || need_apt+=(rsyslog-relp)
# --- TLS certificates for tests --------------------------------------------
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
# --- investigate --html tests: the report opened in headless Chromium ------
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)

if [ ${#need_apt[@]} -gt 0 ]; then
  as_root=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 \
      || { echo "setup: not root and no sudo: install ${need_apt[*]} as root, then run again" >&2; exit 1; }
    as_root=(sudo)
  fi
  echo "setup: about to install system packages with ${as_root[*]:+sudo }apt-get: ${need_apt[*]}"
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

# --- Elasticsearch bulk tests: osmem-server (OpenSearch emulator), into the
# repository's virtual environment (.tools/venv, git-ignored).
bash "$root/scripts/setup-python.sh"

# --- watch --since/--from against a broker that answers ListOffsets by time:
# tansu (crate registry), built into the repo's git-ignored .tools/ where
# tests/integration/watch/tansu.rs looks for it. ~6-10 min on 2 cores.
# sqlite storage needs `libsql`; `dynostore` adds memory:// and s3://.
tansu_bin="$root/.tools/bin/tansu"
if [ ! -x "$tansu_bin" ]; then
  echo "setup: cargo install tansu 0.6.0 (several minutes)"
  cargo install --quiet tansu --version 0.6.0 --locked --features dynostore,libsql \
    --root "$(dirname "$(dirname "$tansu_bin")")"
fi
"$tansu_bin" --version >/dev/null \
  || { echo "setup: the tansu binary does not run" >&2; exit 1; }

echo "setup: ok"
