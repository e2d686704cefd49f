"""Which upstream version a running kernel is, and whether that version can be judged against upstream fixes.

Upstream builds (`uname -r` a release or release candidate and nothing else: 6.1.76, 6.8.0-rc1) are judged by it.
Debian's `uname -v` carries the package version, which tracks upstream stable ("Debian 6.1.76-1" -> 6.1.76), so
Debian and Debian-derived kernels (Raspberry Pi OS: "Debian 1:6.1.63-1+rpt1"; Kali, which names itself: "Kali
6.12.33-1kali1") are judged by it. Other distro kernels
keep an old base version and backport fixes (Ubuntu 5.15.0-NN, RHEL .elN, SUSE, Amazon, Fedora): their version
cannot say whether a fix is in, only the vendor's advisory can; Ubuntu's /proc/version_signature still tells the
upstream base. A release with any other suffix (COS 6.1.100+, -talos, WSL2's -microsoft-standard-WSL2, Arch's
-arch1-1, 6.1.0-rpi7-rpi-v8 without a Debian `uname -v`, a local build's -custom) is a vendor kernel: it passes when
its upstream base has the fix and is unknown otherwise, never a fail by upstream rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from hostaudit.cves import Version, parse_version, plausible
from hostaudit.model import HostFacts

# the package version a Debian or Debian-derived kernel's `uname -v` carries, and the distribution it names
_PACKAGE_VERSION = re.compile(r"\b(Debian|Kali) (\S+)")
# an upstream release as kernel.org builds it, with no local or vendor suffix: 6.1.76, 6.8, 6.8.0-rc1
_UPSTREAM = re.compile(r"^\d+\.\d+(?:\.\d+)?(?:-rc\d+)?$")
# a package revision or ABI number right after the version: 6.1.0-18-amd64, 5.15.0-91-generic, 4.18.0-513.el8...
_DISTRO_ABI = re.compile(r"^\d+\.\d+(?:\.\d+)*-\d+[-.]")
_VENDORS = (
    ("ubuntu", re.compile(r"-generic|-lowlatency|-aws|-azure|-gcp|-gke|-kvm|-oracle|-ibm|-raspi")),
    ("rhel", re.compile(r"\.el\d+")),
    ("amazon", re.compile(r"\.amzn\d*")),
    ("fedora", re.compile(r"\.fc\d+")),
    ("suse", re.compile(r"-\d+(?:\.\d+)+-default$")),
    ("debian", re.compile(r"-(?:amd64|arm64|cloud-amd64|cloud-arm64|rt-amd64|686(?:-pae)?)$")),
)


@dataclass(frozen=True)
class KernelBuild:
    release: str
    version_string: str  # the string the upstream version was read from
    source: str  # uname -r, uname -v, /proc/version_signature
    base: Version | None  # the upstream version this build is (or is based on)
    upstream: bool  # True: the version decides (vanilla, custom, Debian); False: a distro build with backports
    vendor: str  # upstream, debian, kali, ubuntu, rhel, ...

    def evidence(self) -> dict[str, Any]:
        return {"kernel.release": self.release, "version": self.version_string, "version_source": self.source,
                "upstream_base": str(self.base) if self.base else None, "kernel_build": self.vendor}


def _vendor(release: str, kernel_version: str, unknown: str) -> str:
    if "Ubuntu" in kernel_version:
        return "ubuntu"
    return next((name for name, pattern in _VENDORS if pattern.search(release)), unknown)


def _base(text: str) -> Version | None:
    """The upstream version in `text`, None when there is none or it is implausible for a kernel (9999.0.0)."""
    return plausible(parse_version(text), "kernel")


def kernel_build(host: HostFacts) -> KernelBuild:
    """The upstream version of the running kernel and whether it can be judged by that version."""
    release = host.kernel_release
    package = _PACKAGE_VERSION.search(host.kernel_version or "")
    if package:
        distro, version = package.groups()
        return KernelBuild(release, version, f"uname -v ({distro} package version)", _base(version), True,
                           distro.lower())
    if host.version_signature:
        upstream_base = host.version_signature.split()[-1]
        return KernelBuild(release, host.version_signature, "/proc/version_signature", _base(upstream_base),
                           False, "ubuntu")
    if _UPSTREAM.match(release):
        return KernelBuild(release, release, "uname -r", _base(release), True, "upstream")
    unknown = "distro" if _DISTRO_ABI.match(release) else "vendor"
    return KernelBuild(release, release, "uname -r", _base(release), False,
                       _vendor(release, host.kernel_version or "", unknown))
