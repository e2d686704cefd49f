"""The one rule for a daemon setting: running daemon first (argv, what it shows), its file only when unchanged since
the daemon started, else the default. Oracle: the daemon's own behaviour (dockerd reads daemon.json at start only)."""

from hostaudit.daemon_settings import DaemonView, Shown, configured, effective
from hostaudit.model import ConfigFile, Presence

STARTED = 1_000.0


def _daemon(data: dict, modified_at: float | None, flags: dict | None = None, started_at: float | None = STARTED
            ) -> DaemonView:
    config = ConfigFile("/etc/docker/daemon.json", Presence.PRESENT, data=data, modified_at=modified_at)
    return DaemonView("dockerd", "daemon.json", flags or {}, config, started_at)


def test_argv_is_in_force_whatever_the_file_says():
    found = effective(_daemon({"debug": False}, STARTED + 5, {"debug": ("",)}), "debug", False)
    assert (found.value, found.source, found.known) == (True, "argv", True)


def test_a_file_unchanged_since_the_daemon_started_is_in_force():
    found = effective(_daemon({"log-level": "debug"}, STARTED - 5), "log-level", "info")
    assert (found.value, found.known) == ("debug", True)
    assert found.source == "daemon.json (/etc/docker/daemon.json)"


def test_a_file_changed_after_the_daemon_started_is_not_in_force_and_unknown():
    found = effective(_daemon({"no-new-privileges": True}, STARTED + 5), "no-new-privileges", False)
    assert not found.known and found.value is None
    assert "not in force until dockerd restarts" in found.source
    assert found.evidence["daemon.json: no-new-privileges"] is True
    assert found.evidence["daemon.json.modified_at"] == STARTED + 5
    assert found.evidence["dockerd.started_at"] == STARTED


def test_a_key_removed_from_a_changed_file_is_unknown_too():
    """The daemon may still run with the value the file had at its start."""
    found = effective(_daemon({}, STARTED + 5), "userland-proxy", True)
    assert not found.known


def test_what_the_daemon_shows_wins_and_the_file_is_drift_evidence():
    found = effective(_daemon({"debug": False}, STARTED - 5), "debug", False, shown=Shown(True, "api /info Debug"))
    assert (found.value, found.source, found.known) == (True, "api /info Debug", True)
    assert found.evidence["daemon.json: debug"] is False
    assert "not in force until dockerd restarts" in found.evidence["drift"]


def test_a_daemon_that_is_not_running_will_read_its_file():
    assert effective(_daemon({"icc": False}, STARTED + 5, started_at=None), "icc", True).value is False


def test_a_file_written_just_before_a_restart_counts_as_read_at_start():
    """Process start times are whole-second precise: a file written a moment before the daemon started must not
    look changed after it (ansible writes daemon.json, then restarts dockerd)."""
    assert effective(_daemon({"icc": False}, STARTED + 0.5), "icc", True).value is False


def test_default_when_neither_argv_nor_file_set_it():
    found = effective(_daemon({}, STARTED - 5), "icc", True)
    assert (found.value, found.source) == (True, "default")


def test_configured_reads_argv_before_the_file_for_collectors():
    assert configured({"tlsverify": ("",)}, {"tlsverify": False}, "tlsverify", boolean=True) == (True, "argv")
    assert configured({}, {"hosts": ["unix:///x"]}, "hosts") == (["unix:///x"], "file")
    assert configured({}, {}, "group") == (None, "default")
