"""Which OCI runtime each engine runs, from each engine's own configuration (as the engines document their keys:
Docker's /info, containerd's CRI `BinaryName`, containers.conf `[engine] runtime`, crio.conf `default_runtime`), and
the crun rows that follow from it."""

from __future__ import annotations

import dataclasses

from hostaudit.collectors._engine_configs import crio_settings, podman_settings
from hostaudit.containerd_config import CRI_V2
from hostaudit.model import ConfigFile, Presence, Status

from ...conftest import replace_container
from ._variants import with_versions

CRUN_ROW = "runtime.cve_2026_88264"
DEBIAN_CONTAINERS_CONF = '[containers]\n\n[engine]\n#runtime = "crun"\n\n[engine.runtimes]\n'  # all commented out
PODMAN_CRUN = '[engine]\nruntime = "crun"\n'
PODMAN_RUNC = '[engine]\nruntime = "runc"\n'
CRIO_CRUN = ('[crio.runtime]\ndefault_runtime = "crun"\n\n[crio.runtime.runtimes.crun]\n'
             'runtime_path = "/usr/local/bin/crun"\nruntime_type = "oci"\n')


def _in_use(snapshot):
    from hostaudit.checks.runtime._in_use import runtimes_in_use

    return {u.engine: u for u in runtimes_in_use(snapshot)}


def _configs(snapshot, *files: tuple[str, str]):
    """The snapshot with these (path, text) files as the host's Podman and CRI-O configuration, read as root's."""
    found = tuple(ConfigFile(path, Presence.PRESENT, data=(crio_settings if path.startswith("/etc/crio/")
                                                           else podman_settings)(text)) for path, text in files)
    return dataclasses.replace(snapshot, host=dataclasses.replace(snapshot.host, engine_configs=found))


def _containerd_config(snapshot, data):
    config = ConfigFile("/etc/containerd/config.toml", Presence.PRESENT, data=data)
    instance = dataclasses.replace(snapshot.containerd.main, config=config)
    return dataclasses.replace(snapshot, containerd=dataclasses.replace(snapshot.containerd, instances=(instance,)))


def test_the_lab_docker_runs_runc_and_its_containerd_has_no_cri(lab_snapshot):
    found = _in_use(lab_snapshot)
    assert found["Docker"].runtime == "runc" and found["Docker"].source == "/info DefaultRuntime runc"
    assert set(found) == {"Docker"}  # the lab's containerd disables CRI; no Podman or CRI-O configuration


def test_docker_default_runtime_and_a_containers_own(lab_snapshot):
    def docker(default: str, *names: str):
        info = {**lab_snapshot.docker_daemon.info, "DefaultRuntime": default,
                "Runtimes": {"crun": {"path": "/usr/bin/crun"}, "runc": {"path": "runc"}}}
        snapshot = dataclasses.replace(lab_snapshot, docker_daemon=dataclasses.replace(lab_snapshot.docker_daemon,
                                                                                        info=info))
        for name in names:
            snapshot = replace_container(snapshot, name, runtime="crun")
        return _in_use(snapshot)

    found = docker("crun")
    assert found["Docker"].runtime == "/usr/bin/crun" and found["Docker"].runs("crun")
    found = docker("runc", "etc-ro")  # the lab's containers record HostConfig.Runtime runc
    assert found["Docker"].runtime == "runc" and found["Docker containers etc-ro"].runtime == "/usr/bin/crun"


def test_docker_unreachable_is_unknown(lab_snapshot):
    snapshot = dataclasses.replace(lab_snapshot, docker_daemon=dataclasses.replace(lab_snapshot.docker_daemon,
                                                                                    info=None))
    assert _in_use(snapshot)["Docker"].runtime is None


def test_containerd_cri_default_runtime_binary_name(lab_snapshot):
    runtimes = {"crun": {"runtime_type": "io.containerd.runc.v2", "options": {"BinaryName": "/usr/bin/crun"}}}
    data = {"version": 2, "plugins": {CRI_V2: {"containerd": {"default_runtime_name": "crun", "runtimes": runtimes}}}}
    found = _in_use(_containerd_config(lab_snapshot, data))["containerd (CRI default runtime)"]
    assert found.runtime == "/usr/bin/crun" and found.runs("crun")
    plain = _in_use(_containerd_config(lab_snapshot, {"version": 2}))["containerd (CRI default runtime)"]
    assert plain.runtime == "runc"  # no runtimes table: the runc shim's runc
    kata = {"version": 2, "plugins": {CRI_V2: {"containerd": {"default_runtime_name": "kata", "runtimes": {
        "kata": {"runtime_type": "io.containerd.kata.v2"}}}}}}
    assert _in_use(_containerd_config(lab_snapshot, kata))["containerd (CRI default runtime)"].runtime == \
        "io.containerd.kata.v2"


def test_podman_later_file_wins_and_unset_is_the_built_in_crun(lab_snapshot):
    unset = _in_use(_configs(lab_snapshot, ("/usr/share/containers/containers.conf", DEBIAN_CONTAINERS_CONF)))
    assert unset["Podman"].runtime == "crun" and unset["Podman"].built_in
    later = _in_use(_configs(lab_snapshot, ("/usr/share/containers/containers.conf", PODMAN_CRUN),
                             ("/etc/containers/containers.conf", PODMAN_RUNC)))
    assert later["Podman"].runtime == "runc" and not later["Podman"].built_in


def test_podman_config_not_roots_alone_is_unknown(lab_snapshot):
    untrusted = ConfigFile("/etc/containers/containers.conf", Presence.PRESENT,
                           error="/etc/containers/containers.conf: not root's alone (mode 0666)")
    snapshot = dataclasses.replace(lab_snapshot, host=dataclasses.replace(lab_snapshot.host,
                                                                          engine_configs=(untrusted,)))
    found = _in_use(snapshot)["Podman"]
    assert found.runtime is None and "not root's alone" in found.source


def test_crio_default_runtime_and_its_path(lab_snapshot):
    found = _in_use(_configs(lab_snapshot, ("/etc/crio/crio.conf", CRIO_CRUN)))["CRI-O"]
    assert found.runtime == "/usr/local/bin/crun" and found.runs("crun")
    drop_in = _in_use(_configs(lab_snapshot, ("/etc/crio/crio.conf", CRIO_CRUN),
                               ("/etc/crio/crio.conf.d/10-runc.conf", '[crio.runtime]\ndefault_runtime = "runc"\n')))
    assert drop_in["CRI-O"].runtime == "runc"
    unset = _in_use(_configs(lab_snapshot, ("/etc/crio/crio.conf", "[crio]\n")))["CRI-O"]
    assert unset.runtime is None and "built-in default" in unset.source


def test_crun_row_is_unknown_when_an_engine_runs_crun_but_no_crun_version_was_read(run_check, lab_snapshot):
    snapshot = _configs(with_versions(lab_snapshot), ("/etc/containers/containers.conf", PODMAN_CRUN))
    result = run_check(CRUN_ROW, snapshot)["host"]
    assert result.status is Status.UNKNOWN and "Podman run crun" in result.detail
    assert "Podman: crun ([engine] runtime of root's containers.conf)" in result.evidence["runtime_in_use"]


def test_crun_row_not_applicable_without_crun_anywhere(run_check, lab_snapshot):
    for files in ((), (("/etc/containers/containers.conf", PODMAN_RUNC),),
                  (("/usr/share/containers/containers.conf", DEBIAN_CONTAINERS_CONF),)):  # Podman: runc without crun
        result = run_check(CRUN_ROW, _configs(with_versions(lab_snapshot), *files))["host"]
        assert result.status is Status.NOT_APPLICABLE, files


def test_crun_row_judges_the_installed_crun_and_names_the_engines(run_check, lab_snapshot):
    snapshot = _configs(with_versions(lab_snapshot, binaries={"/usr/bin/crun": "1.29.1"}),
                        ("/etc/crio/crio.conf", CRIO_CRUN))
    result = run_check(CRUN_ROW, snapshot)["host"]
    assert result.status is Status.FAIL
    assert "CRI-O: /usr/local/bin/crun ([crio.runtime] default_runtime crun)" in result.evidence["runtime_in_use"]
