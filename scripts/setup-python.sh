#!/usr/bin/env bash
# The Python tools the tests need (osmem-server), in a virtual environment
# this script creates: $SIEM_BRIDGE_VENV, default .tools/venv in the
# repository (git-ignored). Never the system Python: Debian 12's own
# python3 refuses `pip install` (PEP 668, externally-managed-environment).
# Idempotent. The tests look for the venv at the same default place
# (tests/integration/support/osmem.rs).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${SIEM_BRIDGE_VENV:-$root/.tools/venv}"

if [ ! -x "$venv/bin/python" ]; then
  echo "setup: creating a Python virtual environment in $venv"
  python3 -m venv "$venv"
fi
# The wheel ships the Go binary inside the Python package and no console
# script, so `command -v osmem-server` never finds it; the tests locate it
# with `osmem_server.resolve_binary()` (or $OSMEM_SERVER_BIN).
if ! "$venv/bin/python" -c 'import osmem_server' >/dev/null 2>&1; then
  echo "setup: installing osmem-server 0.1.6 into $venv (pip)"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check 'osmem-server==0.1.6'
fi
"$venv/bin/python" -c 'import osmem_server, subprocess; subprocess.run([osmem_server.resolve_binary(), "-version"], check=True, stdout=subprocess.DEVNULL)' \
  || { echo "setup: the osmem-server binary does not run" >&2; exit 1; }
echo "setup: osmem-server ready in $venv"
