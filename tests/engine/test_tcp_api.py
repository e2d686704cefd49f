"""The Docker API on TCP, end to end: private dockerds listening on 127.0.0.1 in plain HTTP (declared in daemon.json
`hosts`), with TLS but no client verification, and with `--tlsverify` and an openssl-made CA. The oracle for each is
the listener itself: what a client without a certificate gets from it.

dockerd 20.10 here asks for client certificates whenever TLS is on with a CA file, even for `--tls` alone; only
`--tlsverify=false` serves TLS without verifying clients, so that is the unverified case tested."""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import urllib.request
from pathlib import Path

import pytest

from tests.engine.conftest import needs_engine
from tests.lab import PrivateDocker, empty_containerd_state, lab_dir, run_hostaudit

pytestmark = [needs_engine, pytest.mark.skipif(not shutil.which("openssl"), reason="openssl is not installed")]
CHECK = "daemon.tcp_without_tls"
TCP_TECHNIQUE = "Docker API on TCP without TLS reachable from the container"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)


def make_pki(folder: Path) -> dict[str, Path]:
    """A CA, a server certificate for 127.0.0.1 and a client certificate, both signed by the CA."""
    folder.mkdir(parents=True)
    files = {name: folder / f"{name}.pem" for name in ("ca", "ca-key", "server", "server-key", "client",
                                                        "client-key")}
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=hostaudit test CA",
             "-keyout", str(files["ca-key"]), "-out", str(files["ca"]))
    extensions = {"server": "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
                  "client": "extendedKeyUsage=clientAuth\n"}
    for role, extension in extensions.items():
        request, ext = folder / f"{role}.csr", folder / f"{role}.ext"
        ext.write_text(extension)
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={role}", "-keyout",
                 str(files[f"{role}-key"]), "-out", str(request))
        _openssl("x509", "-req", "-in", str(request), "-CA", str(files["ca"]), "-CAkey", str(files["ca-key"]),
                 "-CAcreateserial", "-days", "2", "-extfile", str(ext), "-out", str(files[role]))
    return files


def _version_over_tls(port: int, ca: Path, client: tuple[Path, Path] | None = None) -> dict:
    context = ssl.create_default_context(cafile=str(ca))
    if client:
        context.load_cert_chain(str(client[0]), str(client[1]))
    with urllib.request.urlopen(f"https://127.0.0.1:{port}/version", context=context, timeout=10) as answer:
        return json.load(answer)


def _audit(docker: PrivateDocker) -> dict:
    done = run_hostaudit("audit", "--format", "json", "--docker-host", docker.url, "--containerd-state",
                         str(empty_containerd_state(docker.base)))
    return json.loads(done.stdout)


def _daemon_result(report: dict) -> dict:
    return next(f for f in report["findings"] if f["check_id"] == CHECK)


def _verdict(report: dict, name: str) -> dict:
    return next(v for v in report["escapes"] if v["subject"]["name"] == name)


def _daemon(prefix: str, **options):
    base = lab_dir(prefix)
    docker = PrivateDocker(base / "docker", **options)
    return base, docker


@pytest.fixture(scope="module")
def plain():
    """Plain HTTP on 127.0.0.1, declared only in daemon.json `hosts`; a host-network and a no-network container."""
    port = _free_port()
    base = lab_dir("ha-tcp-")
    docker = PrivateDocker(base / "docker")
    docker.daemon_json = {"hosts": [docker.url, f"tcp://127.0.0.1:{port}"]}
    try:
        docker.start()
        docker.build_image()
        docker.run("tcp-hostnet", "--network", "host")
        docker.run("tcp-nonet", "--network", "none")
        yield docker, port, _audit(docker)
    finally:
        docker.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def activated():
    """-H fd:// with a TCP socket handed over as systemd's docker.socket does: no flag or file names the port."""
    base = lab_dir("ha-fd-")
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        docker = PrivateDocker(base / "docker", extra_args=("-H", "fd://"), activation_fd=listener.fileno())
        try:
            docker.start()
            listener.close()  # dockerd holds its own copy
            yield docker, port, _audit(docker)
        finally:
            docker.stop()
            shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def pki():
    base = lab_dir("ha-pki-")
    try:
        yield make_pki(base / "pki")
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _tls_daemon(pki: dict[str, Path], *tls_flags: str):
    """dockerd on 127.0.0.1 with TLS; it reads a CA file even without --tlsverify (and then does not require client
    certificates, as the tests show)."""
    port = _free_port()
    base = lab_dir("ha-tls-")
    docker = PrivateDocker(base / "docker", extra_args=(
        "-H", f"tcp://127.0.0.1:{port}", *tls_flags, "--tlscacert", str(pki["ca"]), "--tlscert", str(pki["server"]),
        "--tlskey", str(pki["server-key"])))
    try:
        docker.start()
        yield docker, port, _audit(docker)
    finally:
        docker.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def tls_only(pki):
    yield from _tls_daemon(pki, "--tls", "--tlsverify=false")


@pytest.fixture(scope="module")
def tls_verified(pki):
    yield from _tls_daemon(pki, "--tlsverify")


def test_plain_listener_from_daemon_json_fails(plain):
    _docker, port, report = plain
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/version", timeout=10) as answer:
        assert "ApiVersion" in json.load(answer)  # the oracle: anyone on 127.0.0.1 drives this daemon
    result = _daemon_result(report)
    assert result["status"] == "fail"
    assert f"127.0.0.1:{port} tls=False tlsverify=False" in result["evidence"]["tcp_listeners"]
    assert result["evidence"]["without_tlsverify"] == [f"127.0.0.1:{port} (daemon.json)"]


def test_a_host_network_container_reaches_the_plain_api_and_can_escape(plain):
    docker, port, report = plain
    reached = docker.docker("exec", "tcp-hostnet", "busybox", "wget", "-qO-", f"http://127.0.0.1:{port}/version")
    assert b"ApiVersion" in reached.stdout
    verdict = _verdict(report, "tcp-hostnet")
    assert verdict["verdict"] == "escapable"
    assert TCP_TECHNIQUE in [p["technique"] for p in verdict["paths"] if p["kind"] == "direct"]


def test_a_container_without_network_cannot_use_the_loopback_api(plain):
    docker, port, report = plain
    blocked = docker.docker("exec", "tcp-nonet", "busybox", "wget", "-qO-", "-T", "3", f"http://127.0.0.1:{port}/version",
                            check=False)
    assert blocked.returncode != 0
    assert TCP_TECHNIQUE not in [p["technique"] for p in _verdict(report, "tcp-nonet")["paths"]]


def test_a_socket_activated_listener_is_found_in_the_kernels_socket_table(activated):
    _docker, port, report = activated
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/version", timeout=10) as answer:
        assert "ApiVersion" in json.load(answer)
    result = _daemon_result(report)
    assert result["status"] == "fail"
    assert result["evidence"]["without_tlsverify"] == [f"127.0.0.1:{port} (listening)"]


def test_tls_without_client_verification_fails(tls_only, pki):
    _docker, port, report = tls_only
    assert "ApiVersion" in _version_over_tls(port, pki["ca"])  # no client certificate asked for
    result = _daemon_result(report)
    assert result["status"] == "fail"
    assert f"127.0.0.1:{port} tls=True tlsverify=False" in result["evidence"]["tcp_listeners"]
    assert result["evidence"]["without_tlsverify"] == [f"127.0.0.1:{port} (argv)"]


def test_tlsverify_with_a_ca_passes(tls_verified, pki):
    _docker, port, report = tls_verified
    with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
        _version_over_tls(port, pki["ca"])  # refused without a client certificate
    assert "ApiVersion" in _version_over_tls(port, pki["ca"], (pki["client"], pki["client-key"]))
    result = _daemon_result(report)
    assert result["status"] == "pass"
    assert result["evidence"]["tcp_listeners"] == [f"127.0.0.1:{port} tls=True tlsverify=True"]
