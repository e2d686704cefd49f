"""Record the snapshot of the PSS pods (tests/pss_pods.py, real CRI pods): `python -m tests.record_pss_snapshot`.

Plants every case on a private containerd with CRI, kubelet-style, and saves what `hostaudit collect` reads through
the CRI API to tests/unit/fixtures/snapshots/pss/cri-pods-one-control-each.json for the unit tests of hostaudit.pss.
"""

from __future__ import annotations

from pathlib import Path

from tests.lab import run_hostaudit
from tests.pss_pods import pss_lab

TARGET = Path(__file__).parent / "unit" / "fixtures" / "snapshots" / "pss" / "cri-pods-one-control-each.json"


def main() -> None:
    TARGET.parent.mkdir(exist_ok=True)
    with pss_lab() as cri:
        run_hostaudit("collect", "--out", str(TARGET), "--docker-host", f"unix://{cri.base}/no-docker.sock",
                      "--containerd-state", str(cri.state), "--cri-endpoint", f"unix://{cri.socket}", check_codes=(0,))
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
