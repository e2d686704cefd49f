"""What the files and audit_rules collectors record for the CIS checks, on a private directory tree."""

import dataclasses
import os

from hostaudit.collectors import audit_rules, files
from hostaudit.model import ConfigFile, DockerDaemonFacts, FileStat, Presence
from tests.unit.conftest import context_without_processes


def _daemon(root: str, userns_remap: bool = False) -> DockerDaemonFacts:
    return DockerDaemonFacts(
        endpoint="unix:///nonexistent.sock", reachable=True, error=None, pid=None, argv=(), flags={},
        config=ConfigFile("/nonexistent/daemon.json", Presence.ABSENT), info={"DockerRootDir": root}, version=None,
        sockets=(), tcp_listeners=(), rootless=False, userns_remap=userns_remap)


def test_data_root_drops_the_userns_remap_level():
    assert files._data_root(_daemon("/srv/docker/100000.100000", userns_remap=True)) == "/srv/docker"
    assert files._data_root(_daemon("/srv/docker/100000.100000")) == "/srv/docker/100000.100000"
    assert files._data_root(_daemon("/srv/docker")) == "/srv/docker"


def test_every_file_below_certs_d_is_a_registry_cert(tmp_path, monkeypatch):
    registry = tmp_path / "certs.d" / "registry.lan:5000"
    (registry / "nested").mkdir(parents=True)
    for name in ("ca.crt", "client.cert", "client.key", "nested/extra.pem"):
        (registry / name).write_text("x")
    monkeypatch.setattr(files, "CERTS_DIR", str(tmp_path / "certs.d"))
    found = files._registry_certs()
    assert {os.path.relpath(path, registry) for path, _ in found} == {
        "ca.crt", "client.cert", "client.key", "nested/extra.pem"}
    assert {role for _, role in found} == {"registry_cert"}


def test_real_path_is_recorded_for_a_path_through_a_symlink(tmp_path):
    (tmp_path / "usr-lib").mkdir()
    (tmp_path / "usr-lib" / "docker.service").write_text("[Unit]\n")
    (tmp_path / "lib").symlink_to(tmp_path / "usr-lib")
    linked = files._with_real_path(FileStat(str(tmp_path / "lib" / "docker.service"), "docker_service",
                                            Presence.PRESENT, 0o644))
    assert linked.real_path == str(tmp_path / "usr-lib" / "docker.service")
    direct = files._with_real_path(dataclasses.replace(linked, path=linked.real_path, real_path=None))
    assert direct.real_path is None


def test_binaries_absent_from_the_path_are_recorded_as_absent(monkeypatch):
    monkeypatch.setattr(files, "SYSTEM_PATH", ())
    monkeypatch.setenv("PATH", "/nonexistent")
    found = {f.role: f for f in files._binaries(None, None)}
    assert found["runc_binary"].presence is Presence.ABSENT
    assert found["runc_binary"].path == "runc"
    assert set(found) == {role for _, role in files.BINARIES}


def test_audit_rules_files_that_cannot_be_read_are_listed(tmp_path, monkeypatch):
    (tmp_path / "rules.d").mkdir()
    (tmp_path / "rules.d" / "docker.rules").write_text("-w /usr/bin/dockerd -p wa -k docker\n")
    (tmp_path / "rules.d" / "broken.rules").mkdir()  # not a regular file: cannot be read
    monkeypatch.setattr(audit_rules, "_loaded", lambda: None)
    monkeypatch.setattr(audit_rules, "RULE_FILES", (str(tmp_path / "rules.d" / "*.rules"),))
    monkeypatch.setattr(audit_rules, "RULE_DIRS", (str(tmp_path / "rules.d"),))
    facts = audit_rules.collect(context_without_processes())
    assert [rule.path for rule in facts.rules] == ["/usr/bin/dockerd"]
    assert facts.unreadable == (str(tmp_path / "rules.d" / "broken.rules"),)
    assert facts.source == "rules files"
