"""Record the snapshot fixture of the planted lab: `python -m tests.record_lab_snapshot`.

Starts the private dockerd and containerd of the engine tests, plants the same containers, and saves what
`hostaudit collect` reads to tests/unit/fixtures/snapshots/lab/planted.json for the unit tests of check logic.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.engine.conftest import plant_containerd, plant_docker
from tests.lab import PrivateContainerd, PrivateDocker, lab_dir, run_hostaudit

TARGET = Path(__file__).parent / "unit" / "fixtures" / "snapshots" / "lab" / "planted.json"


def main() -> None:
    base = lab_dir()
    docker = PrivateDocker(base / "docker")
    containerd = PrivateContainerd(base / "containerd")
    try:
        docker.start()
        docker.build_image()
        plant_docker(docker)
        containerd.start()
        containerd.import_image(docker)
        plant_containerd(containerd)
        run_hostaudit("collect", "--out", str(TARGET), "--docker-host", docker.url, "--containerd-state",
                      str(containerd.state), check_codes=(0,))
    finally:
        containerd.stop()
        docker.stop()
        shutil.rmtree(base, ignore_errors=True)
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
