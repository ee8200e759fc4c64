#!/usr/bin/env bash
# Installs the Debian packages chainrv needs, where missing (idempotent).
# Without root, prints the exact command to run and fails.
set -euo pipefail
missing=()
for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# Debian's python3 needs python3-venv for `python3 -m venv`.
if ! python3 -c "import ensurepip, venv" 2>/dev/null; then
    missing+=(python3-venv)
fi
[ ${#missing[@]} -eq 0 ] && exit 0
cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
    echo "chainrv setup: missing system packages; run as root:" >&2
    echo "  apt-get update && $cmd" >&2
    exit 1
fi
echo "chainrv setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
$cmd -qq
