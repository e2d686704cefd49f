#!/usr/bin/env bash
# Build the hostaudit container image from this repository without any image registry: a Debian root made by
# debootstrap from Debian's packages, hostaudit installed into it from a wheel built here, imported with
# `docker import`. Run as root.
#
#   bash scripts/build-image.sh [NAME]            # default NAME: hostaudit:local
#
# Environment: DOCKER_HOST (the engine to import into), HOSTAUDIT_ROOTFS_CACHE (a directory where the debootstrap
# root is kept between builds; empty: a fresh one each time), DEBIAN_MIRROR (default: deb.debian.org).
set -euo pipefail

name=${1:-hostaudit:local}
repo=$(cd "$(dirname "$0")/.." && pwd)
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
python=${PYTHON:-python3}
work=$(mktemp -d /tmp/hostaudit-image.XXXXXX)
trap 'rm -rf "$work"' EXIT

command -v debootstrap >/dev/null || { echo "build-image: debootstrap is not installed (apt-get install debootstrap)" >&2; exit 2; }

base=${HOSTAUDIT_ROOTFS_CACHE:-$work/base}
if [ ! -x "$base/usr/bin/python3" ]; then
    rm -rf "$base.partial"
    debootstrap --variant=minbase --include=python3,python3-venv bookworm "$base.partial" "$mirror" >"$work/debootstrap.log" 2>&1 \
        || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
    rm -rf "$base" && mv "$base.partial" "$base"
fi

root=$work/root
cp -a "$base" "$root"
# the wheel of this repository and of its dependencies, built here, installed offline in the root
"$python" -m pip wheel --quiet --wheel-dir "$root/tmp/wheels" "$repo"
chroot "$root" python3 -m venv /opt/hostaudit
chroot "$root" /opt/hostaudit/bin/pip install --quiet --no-index --find-links /tmp/wheels hostaudit
chroot "$root" ln -sf /opt/hostaudit/bin/hostaudit /usr/local/bin/hostaudit
rm -rf "$root/tmp/wheels" "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
tar -C "$root" -c . | docker import --change 'ENTRYPOINT ["/opt/hostaudit/bin/hostaudit"]' \
    --change 'CMD ["audit"]' - "$name" >/dev/null
echo "$name"
