"""Record the snapshot fixture of the planted lab: `python -m tests.record_lab_snapshot`.

Starts the private dockerd and containerd of the engine tests, plants the same containers, and saves what
`hostaudit collect` reads to tests/unit/fixtures/snapshots/lab/planted.json for the unit tests of check logic, then
derives the CIS host/daemon/files scenarios from it (tests/unit/fixtures/derive_cis_snapshots.py): every recorded
fixture is re-written under the current SCHEMA_VERSION by this one command.
"""

from __future__ import annotations

from pathlib import Path

from tests.engine.conftest import planted_lab
from tests.lab import run_hostaudit
from tests.unit.fixtures import derive_cis_snapshots

TARGET = Path(__file__).parent / "unit" / "fixtures" / "snapshots" / "lab" / "planted.json"


def main() -> None:
    with planted_lab() as (docker, containerd):
        run_hostaudit("collect", "--out", str(TARGET), "--docker-host", docker.url, "--containerd-state",
                      str(containerd.state), check_codes=(0,))
    print(f"wrote {TARGET}")
    derive_cis_snapshots.main()


if __name__ == "__main__":
    main()
