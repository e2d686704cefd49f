#!/usr/bin/env bash
# Install hostaudit from this checkout into its own virtual environment (/opt/hostaudit by default) and link the
# `hostaudit` command into /usr/local/bin. Run as root to audit the whole host.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix="${HOSTAUDIT_PREFIX:-/opt/hostaudit}"
bindir="${HOSTAUDIT_BINDIR:-/usr/local/bin}"
if ! python3 -c "import venv, ensurepip" 2>/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq python3-venv >/dev/null
fi
python3 -m venv "$prefix"
"$prefix/bin/pip" install --quiet --disable-pip-version-check .
ln -sf "$prefix/bin/hostaudit" "$bindir/hostaudit"
echo "hostaudit installed in $prefix; run: hostaudit audit"
