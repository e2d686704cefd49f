"""Record the snapshot fixture of the planted lab: `python -m tests.record_lab_snapshot`.

Starts the private dockerd and containerd of the engine tests, plants the same containers, and saves what
`hostaudit collect` reads to tests/unit/fixtures/snapshots/lab/planted.json for the unit tests of check logic.
"""

from __future__ import annotations

from pathlib import Path

from tests.engine.conftest import planted_lab
from tests.lab import run_hostaudit

TARGET = Path(__file__).parent / "unit" / "fixtures" / "snapshots" / "lab" / "planted.json"


def main() -> None:
    with planted_lab() as (docker, containerd):
        run_hostaudit("collect", "--out", str(TARGET), "--docker-host", docker.url, "--containerd-state",
                      str(containerd.state), check_codes=(0,))
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
