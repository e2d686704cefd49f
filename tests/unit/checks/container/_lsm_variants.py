"""Snapshot variants with an LSM enabled on the host."""

import dataclasses

from hostaudit.model import Snapshot


def with_host(snapshot: Snapshot, **changes) -> Snapshot:
    return dataclasses.replace(snapshot, host=dataclasses.replace(snapshot.host, **changes))
