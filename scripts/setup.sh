#!/usr/bin/env bash
# Install hostaudit from this checkout (run as root to audit the whole host).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -e .
