"""Root's Podman and CRI-O configuration files, reduced to the keys that choose the OCI runtime."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from hostaudit.collectors import _engine_configs
from hostaudit.collectors._engine_configs import crio_settings, podman_settings
from hostaudit.model import Presence

# the layout of the containers.conf(5) and crio.conf(5) man pages
CONTAINERS_CONF = '[containers]\nlog_driver = "k8s-file"\n\n[engine]\ncgroup_manager = "systemd"\n' \
                  'runtime = "crun"\n\n[engine.runtimes]\ncrun = ["/usr/bin/crun", "/usr/local/bin/crun"]\n'
CRIO_CONF = '[crio]\nroot = "/var/lib/containers/storage"\n\n[crio.runtime]\ndefault_runtime = "crun"\n' \
            'selinux = true\n\n[crio.runtime.runtimes.crun]\nruntime_path = "/usr/bin/crun"\n' \
            'runtime_type = "oci"\n\n[crio.runtime.runtimes.runc]\nruntime_path = ""\n'


def test_only_the_runtime_keys_are_kept():
    assert podman_settings(CONTAINERS_CONF) == {"engine": {"runtime": "crun"}}
    assert podman_settings('[engine]\n#runtime = "crun"\n') == {}
    assert crio_settings(CRIO_CONF) == {"crio": {"runtime": {"default_runtime": "crun", "runtimes": {
        "crun": {"runtime_path": "/usr/bin/crun"}, "runc": {"runtime_path": ""}}}}}
    assert crio_settings('[crio.runtime]\nselinux = true\n') == {}


@pytest.mark.parametrize("text", ['[engine]\nruntime = 7\n', '[engine]\nruntime = "' + "x" * 5000 + '"\n',
                                  'engine = "crun"\n'])
def test_odd_values_are_not_runtimes_or_are_bounded(text):
    kept = podman_settings(text)
    assert kept == {} or len(kept["engine"]["runtime"]) <= _engine_configs.MAX_NAME


def test_malformed_toml_is_an_error():
    with pytest.raises(ValueError, match="invalid TOML"):
        podman_settings("[engine\nruntime =")


def test_files_and_drop_ins_in_the_order_they_apply(root_tmp_path, monkeypatch):
    etc = root_tmp_path / "containers"
    (etc / "containers.conf.d").mkdir(parents=True)
    (etc / "containers.conf").write_text(CONTAINERS_CONF)
    (etc / "containers.conf.d" / "20-runc.conf").write_text('[engine]\nruntime = "runc"\n')
    (etc / "containers.conf.d" / "10-other.conf").write_text('[engine]\nruntime = "youki"\n')
    (etc / "containers.conf.d" / "README").write_text("not a .conf file")
    monkeypatch.setattr(_engine_configs, "PODMAN_FILES", (str(root_tmp_path / "absent.conf"),
                                                          str(etc / "containers.conf")))
    monkeypatch.setattr(_engine_configs, "PODMAN_DROP_INS", (str(etc / "containers.conf.d"),))
    monkeypatch.setattr(_engine_configs, "CRIO_FILES", ())
    monkeypatch.setattr(_engine_configs, "CRIO_DROP_INS", ())
    found = _engine_configs.engine_configs()
    assert [Path(c.path).name for c in found] == ["containers.conf", "10-other.conf", "20-runc.conf"]
    assert [c.data for c in found][-1] == {"engine": {"runtime": "runc"}} and not any(c.error for c in found)


def test_a_file_others_could_write_is_not_believed(monkeypatch):
    with tempfile.TemporaryDirectory() as tmp:  # under /tmp: anyone's
        path = Path(tmp) / "containers.conf"
        path.write_text(CONTAINERS_CONF)
        monkeypatch.setattr(_engine_configs, "PODMAN_FILES", (str(path),))
        monkeypatch.setattr(_engine_configs, "PODMAN_DROP_INS", ())
        monkeypatch.setattr(_engine_configs, "CRIO_FILES", ())
        monkeypatch.setattr(_engine_configs, "CRIO_DROP_INS", ())
        (found,) = _engine_configs.engine_configs()
    assert found.presence is Presence.PRESENT and found.data is None and "not root's alone" in found.error


def test_too_many_drop_ins_say_so(root_tmp_path, monkeypatch):
    drop_ins = root_tmp_path / "crio.conf.d"
    drop_ins.mkdir()
    for n in range(_engine_configs.MAX_DROP_INS + 1):
        (drop_ins / f"{n:03}.conf").write_text("[crio.runtime]\n")
    monkeypatch.setattr(_engine_configs, "PODMAN_FILES", ())
    monkeypatch.setattr(_engine_configs, "PODMAN_DROP_INS", ())
    monkeypatch.setattr(_engine_configs, "CRIO_FILES", ())
    monkeypatch.setattr(_engine_configs, "CRIO_DROP_INS", (str(drop_ins),))
    found = _engine_configs.engine_configs()
    assert len(found) == _engine_configs.MAX_DROP_INS + 1 and "only the first 64 read" in found[-1].error
