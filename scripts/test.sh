#!/usr/bin/env bash
# Install what the test suite needs on a Debian machine (as root), then run the whole suite.
# The engine tests start their own private dockerd and containerd; nothing else on the machine is touched.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
packages=(docker.io containerd runc busybox-static containernetworking-plugins chromium chromium-driver prometheus vagrant strace time
          podman rootlesskit uidmap debootstrap sudo systemd crun)
python3 -m pip --version >/dev/null 2>&1 || packages+=(python3-pip)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian's own Python marks itself externally managed; the suite installs into whatever python3 runs it
export PIP_BREAK_SYSTEM_PACKAGES=1
python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'
ruff check .
python3 -m pytest -q "$@"
