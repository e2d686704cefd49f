"""A private Docker engine and containerd for tests and benchmarks: own sockets, dirs and pidfiles, stopped by pid.

Nothing here touches another dockerd or containerd that may run on the machine: each dockerd runs on a containerd
the lab started for it. Daemons still running when the Python process exits are stopped then.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import io
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

IMAGE = "hostaudit-lab/busybox:1"
# ctr has no --cap-drop ALL: drop Docker's default set one by one
CTR_DROP_ALL = tuple(arg for cap in ("CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
                                     "NET_BIND_SERVICE", "NET_RAW", "SYS_CHROOT", "MKNOD", "AUDIT_WRITE", "SETFCAP")
                     for arg in ("--cap-drop", f"CAP_{cap}"))
CTR_IMAGE = "docker.io/" + IMAGE


# systemd socket activation by hand: fd N becomes fd 3, LISTEN_PID names the process that will exec the daemon
ACTIVATE = ("import os, sys; fd = int(sys.argv[1]); os.dup2(fd, 3); fd == 3 or os.close(fd); "
            "os.environ.update(LISTEN_PID=str(os.getpid()), LISTEN_FDS='1'); os.execvp(sys.argv[2], sys.argv[2:])")


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise RuntimeError(f"timed out waiting for {what}")


def _stop(pid: int, timeout: float = 20.0) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):  # our own child: reap it, or it lingers as a zombie
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)


def unmount_below(base: Path) -> None:
    """Lazily unmount whatever a stopped daemon left mounted under `base` (dockerd leaves its netns files)."""
    mounts = Path("/proc/self/mountinfo").read_text().splitlines()
    points = [line.split()[4] for line in mounts if len(line.split()) > 4]
    for point in sorted((p for p in points if p.startswith(str(base) + "/")), key=len, reverse=True):
        subprocess.run(["umount", "-l", point], capture_output=True, check=False)


def busybox_rootfs(root: Path) -> Path:
    """A minimal rootfs: the static busybox, its applet links, and a passwd with an unprivileged user."""
    busybox = shutil.which("busybox")
    if busybox is None:
        raise RuntimeError("busybox-static is not installed")
    (root / "bin").mkdir(parents=True)
    (root / "etc").mkdir()
    (root / "tmp").mkdir()
    shutil.copy(busybox, root / "bin" / "busybox")
    for applet in ("sh", "sleep", "ls", "cat", "true"):
        (root / "bin" / applet).symlink_to("busybox")
    (root / "etc" / "passwd").write_text("root:x:0:0:root:/:/bin/sh\napp:x:1000:1000:app:/:/bin/sh\n")
    (root / "etc" / "group").write_text("root:x:0:\napp:x:1000:\n")
    return root


def busybox_tar() -> bytes:
    """The busybox rootfs as a tar stream, for `docker import` / `podman import` (no registry)."""
    with tempfile.TemporaryDirectory() as tmp:
        rootfs = busybox_rootfs(Path(tmp) / "rootfs")
        return subprocess.run(["tar", "-C", str(rootfs), "-c", "."], capture_output=True, check=True).stdout


NONROOT_CTR_IMAGE = "docker.io/hostaudit-lab/busybox-nonroot:1"


def oci_image_tar(name: str = CTR_IMAGE, user: str = "") -> bytes:
    """An OCI image-layout tar of the busybox rootfs, named `name` for `ctr images import` (no dockerd needed);
    `user` sets the image's USER, which `ctr run` (it has no --user) applies."""
    blobs: dict[str, bytes] = {}

    def descriptor(data: bytes, media_type: str, **extra) -> dict:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        blobs[digest] = data
        return {"mediaType": media_type, "digest": digest, "size": len(data), **extra}

    with tempfile.TemporaryDirectory() as tmp:
        rootfs = busybox_rootfs(Path(tmp) / "rootfs")
        layer = io.BytesIO()
        with tarfile.open(fileobj=layer, mode="w") as tar:
            for path in sorted(rootfs.rglob("*")):
                tar.add(path, arcname=str(path.relative_to(rootfs)), recursive=False)
    arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
    layer_bytes = layer.getvalue()
    config = {"architecture": arch, "os": "linux",
              "config": {"Cmd": ["/bin/sleep", "3600"], "Env": ["PATH=/bin"], "WorkingDir": "/", "User": user},
              "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer_bytes).hexdigest()]}}
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": descriptor(json.dumps(config).encode(), "application/vnd.oci.image.config.v1+json"),
                "layers": [descriptor(layer_bytes, "application/vnd.oci.image.layer.v1.tar")]}
    index = {"schemaVersion": 2, "manifests": [descriptor(
        json.dumps(manifest).encode(), "application/vnd.oci.image.manifest.v1+json",
        annotations={"io.containerd.image.name": name, "org.opencontainers.image.ref.name": name.rsplit(":", 1)[1]},
        platform={"architecture": arch, "os": "linux"})]}
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        files = {"oci-layout": json.dumps({"imageLayoutVersion": "1.0.0"}).encode(),
                 "index.json": json.dumps(index).encode(),
                 **{f"blobs/sha256/{d.removeprefix('sha256:')}": data for d, data in blobs.items()}}
        for member, data in files.items():
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


_RUNNING: list[PrivateDaemon] = []  # started and not yet stopped, newest last


def exit_on_signals() -> None:
    """Turn SIGTERM and SIGHUP into a normal exit, so that `finally` blocks and the exit hook stop the lab's daemons
    (by default these signals end Python at once and leave every daemon and container running)."""
    def leave(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, leave)


@atexit.register
def _stop_leftovers() -> None:
    """Whatever a fixture or benchmark could not stop (an interrupted run) is stopped on the way out, newest first."""
    while _RUNNING:
        _RUNNING[-1].stop()


@dataclass(eq=False)
class PrivateDaemon:
    """A daemon of the lab's own under `base`, stopped by its pid after removing what it runs."""

    base: Path
    pid: int | None = None

    def remove_all(self) -> None:
        raise NotImplementedError

    def _started(self, pid: int) -> None:
        self.pid = pid
        if self not in _RUNNING:
            _RUNNING.append(self)

    def stop(self) -> None:
        if self in _RUNNING:
            _RUNNING.remove(self)
        if self.pid is None:
            return
        self.remove_all()
        _stop(self.pid)
        self.pid = None
        unmount_below(self.base)


@dataclass(eq=False)
class PrivateDocker(PrivateDaemon):
    """dockerd on a unix socket of its own, with --bridge=none --iptables=false (and `extra_args`), on a containerd
    of its own. A daemon.json with `hosts` replaces the -H flag (dockerd refuses both); it must then list the unix
    socket itself.

    dockerd 20.10 without `--containerd` attaches to any containerd answering on /run/containerd/containerd.sock:
    the lab's containers would then run in the machine's containerd, seen by every later audit, and outlive the lab.
    """

    daemon_json: dict = field(default_factory=dict)
    log: Path | None = None
    extra_args: tuple[str, ...] = ()
    activation_fd: int | None = None  # a listening socket handed over as systemd does (LISTEN_FDS), for -H fd://
    iptables_flag: str = "--iptables=false"  # any spelling dockerd accepts, e.g. --iptables=0
    containerd: PrivateContainerd | None = None
    launcher: tuple[str, ...] = ()  # a command dockerd runs under, e.g. `unshare --pid --fork` for its own namespace

    @property
    def socket(self) -> Path:
        return self.base / "docker.sock"

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    @property
    def config_file(self) -> Path:
        return self.base / "daemon.json"

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "DOCKER_HOST": self.url}

    def start(self, timeout: float = 60.0) -> PrivateDocker:
        self.base.mkdir(parents=True, exist_ok=True)
        if self.containerd is None:
            self.containerd = PrivateContainerd(self.base / "containerd")
            self.containerd.start()
        self.config_file.write_text(json.dumps(self.daemon_json))
        self.log = self.base / "dockerd.log"
        command = [*self.launcher, "dockerd", "--config-file", str(self.config_file),
                   "--data-root", str(self.base / "data"), "--exec-root", str(self.base / "exec"),
                   "--pidfile", str(self.base / "dockerd.pid"), "--containerd", str(self.containerd.socket),
                   *(() if "hosts" in self.daemon_json else ("-H", self.url)), "--bridge=none", self.iptables_flag,
                   "--ip6tables=false", *self.extra_args]
        fd = self.activation_fd
        if fd is not None:  # the socket becomes fd 3 of dockerd itself (exec keeps the launcher's pid)
            command = [sys.executable, "-c", ACTIVATE, str(fd), *command]
        process = subprocess.Popen(command, stdout=self.log.open("wb"), stderr=subprocess.STDOUT,
                                   start_new_session=True, pass_fds=() if fd is None else (fd,))
        self._started(process.pid)
        _wait(lambda: self.socket.exists() and self.docker("version", check=False).returncode == 0, timeout,
              f"dockerd on {self.socket} (log: {self.log})")
        return self

    def stop(self) -> None:
        """dockerd first (it removes its containers), then its containerd (it kills any task dockerd left)."""
        super().stop()
        if self.containerd is not None:
            self.containerd.stop()
            self.containerd = None
        unmount_below(self.base)  # also when dockerd was stopped by pid elsewhere (benchmarks)

    def restart(self, timeout: float = 60.0) -> None:
        if self.pid:
            _stop(self.pid)
        self.socket.unlink(missing_ok=True)
        self.daemon_json = json.loads(self.config_file.read_text())
        self.start(timeout)

    def docker(self, *args: str, input: bytes | None = None, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(["docker", *args], env=self.env, input=input, capture_output=True, check=check,
                              timeout=120)

    def build_image(self) -> str:
        self.docker("import", "-c", 'CMD ["/bin/sleep", "3600"]', "-", IMAGE, input=busybox_tar())
        return IMAGE

    def run(self, name: str, *options: str, create_only: bool = False) -> str:
        verb = "create" if create_only else "run"
        extra = () if create_only else ("-d",)
        done = self.docker(verb, *extra, "--name", name, *options, IMAGE)
        return done.stdout.decode().strip()

    def remove_all(self) -> None:
        ids = self.docker("ps", "-aq", check=False).stdout.decode().split()
        if ids:
            self.docker("rm", "-f", *ids, check=False)



@dataclass(eq=False)
class PrivateContainerd(PrivateDaemon):
    """containerd with its own root, state, sockets and runc root; CRI disabled (tasks are planted with ctr).
    `extra_args` are added to its command line."""

    extra_args: tuple[str, ...] = ()

    @property
    def socket(self) -> Path:
        return self.base / "containerd.sock"

    @property
    def state(self) -> Path:
        return self.base / "state"

    def start(self, timeout: float = 30.0) -> PrivateContainerd:
        self.base.mkdir(parents=True, exist_ok=True)
        config = self.base / "config.toml"
        config.write_text(
            'version = 2\n'
            f'root = "{self.base}/root"\nstate = "{self.state}"\n'
            'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
            f'[grpc]\n  address = "{self.socket}"\n'
            f'[ttrpc]\n  address = "{self.socket}.ttrpc"\n'
            f'[debug]\n  address = "{self.base}/debug.sock"\n'
            f'[plugins."io.containerd.runtime.v1.linux"]\n  runtime_root = "{self.base}/runtime-v1"\n'
        )
        process = subprocess.Popen(["containerd", "--config", str(config), *self.extra_args],
                                   stdout=(self.base / "log").open("wb"), stderr=subprocess.STDOUT,
                                   start_new_session=True)
        self._started(process.pid)
        _wait(lambda: self.ctr("version", check=False).returncode == 0, timeout, f"containerd on {self.socket}")
        return self

    def ctr(self, *args: str, namespace: str = "k8s.io", input: bytes | None = None, check: bool = True
            ) -> subprocess.CompletedProcess:
        return subprocess.run(["ctr", "-a", str(self.socket), "-n", namespace, *args], input=input,
                              capture_output=True, check=check, timeout=120)

    def import_image(self, docker: PrivateDocker, namespaces: tuple[str, ...] = ("k8s.io", "default")) -> str:
        saved = docker.docker("save", IMAGE).stdout
        for namespace in namespaces:
            self.ctr("images", "import", "-", input=saved, namespace=namespace)
        return CTR_IMAGE

    def import_oci_image(self, name: str = CTR_IMAGE, user: str = "", namespaces: tuple[str, ...] = ("k8s.io",)
                         ) -> str:
        """Import the busybox image built by `oci_image_tar` (no dockerd needed)."""
        image = oci_image_tar(name, user)
        for namespace in namespaces:
            self.ctr("images", "import", "-", input=image, namespace=namespace)
        return name

    def run(self, task_id: str, *options: str, namespace: str = "k8s.io", image: str = CTR_IMAGE) -> int:
        self.ctr("run", "-d", "--null-io", "--runc-root", str(self.base / "runc"), *options, image, task_id,
                 "/bin/sleep", "3600", namespace=namespace)
        for line in self.ctr("tasks", "ls", namespace=namespace).stdout.decode().splitlines()[1:]:
            parts = line.split()
            if parts and parts[0] == task_id:
                return int(parts[1])
        raise RuntimeError(f"task {task_id} did not start")

    def pod(self, namespace: str, pod: str, containers: dict[str, tuple[str, ...]], sandbox: tuple[str, ...] = (),
            image: str = CTR_IMAGE) -> dict[str, int]:
        """A Kubernetes-style pod: a sandbox task, then containers joining its network and IPC namespaces."""
        cri = "io.kubernetes.cri."
        sandbox_id = f"{pod}-sandbox"
        common = ("--annotation", f"{cri}sandbox-name={pod}", "--annotation", f"{cri}sandbox-namespace={namespace}")
        pids = {"(sandbox)": self.run(sandbox_id, "--annotation", f"{cri}container-type=sandbox", *common, *sandbox)}
        sandbox_pid = pids["(sandbox)"]
        for name, options in containers.items():
            pids[name] = self.run(
                f"{pod}-{name}", "--with-ns", f"network:/proc/{sandbox_pid}/ns/net", "--with-ns",
                f"ipc:/proc/{sandbox_pid}/ns/ipc", "--annotation", f"{cri}container-type=container", "--annotation",
                f"{cri}sandbox-id={sandbox_id}", "--annotation", f"{cri}container-name={name}", *common, *options,
                image=image)
        return pids

    def remove_all(self) -> None:
        for namespace in self.ctr("namespaces", "ls", "-q", check=False).stdout.decode().split():
            for line in self.ctr("tasks", "ls", "-q", namespace=namespace, check=False).stdout.decode().split():
                self.ctr("tasks", "kill", "-s", "9", line, namespace=namespace, check=False)
                _wait(lambda t=line, ns=namespace: b"STOPPED" in self.ctr("tasks", "ls", namespace=ns,
                                                                           check=False).stdout
                      or t.encode() not in self.ctr("tasks", "ls", namespace=ns, check=False).stdout, 10, "task exit")
                self.ctr("tasks", "rm", "-f", line, namespace=namespace, check=False)
            for line in self.ctr("containers", "ls", "-q", namespace=namespace, check=False).stdout.decode().split():
                self.ctr("containers", "rm", line, namespace=namespace, check=False)



def empty_containerd_state(base: Path) -> Path:
    """A containerd state dir with no task in it, for audits that must not see other containerds on the host."""
    state = base / "no-containerd"
    (state / "io.containerd.runtime.v2.task").mkdir(parents=True, exist_ok=True)
    return state


LAB_ROOT = Path("/srv/hostaudit-lab")


def lab_dir(prefix: str = "ha-") -> Path:
    """A short private directory (unix socket paths must stay under 108 bytes) in a chain only root can write: the
    audit reads a daemon's configuration only from such places (root trusts only root's files), as on a real host."""
    LAB_ROOT.mkdir(mode=0o755, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=LAB_ROOT))


def run_hostaudit(*args: str, check_codes: tuple[int, ...] = (0, 1), timeout: float = 300
                  ) -> subprocess.CompletedProcess:
    """Run the installed `hostaudit` command as a user would."""
    from tests import check_gate

    done = subprocess.run(["hostaudit", *args], capture_output=True, text=True, timeout=timeout)
    if done.returncode not in check_codes:
        raise AssertionError(f"hostaudit {' '.join(args)} exited {done.returncode}:\n{done.stderr[-3000:]}")
    check_gate.record_report(args, done.stdout)
    return done



@dataclass
class PrivatePodman:
    """Podman on a private storage root and run root under `base` (the host's /var/lib/containers is never used).
    `podman create` works on machines where `podman run` does not (rlimits): created containers are audited too."""

    base: Path

    @property
    def root(self) -> Path:
        return self.base / "root"

    def podman(self, *args: str, input: bytes | None = None, check: bool = True) -> subprocess.CompletedProcess:
        command = ["podman", "--root", str(self.root), "--runroot", str(self.base / "run"), "--storage-driver", "vfs",
                   "--tmpdir", str(self.base / "tmp"), *args]
        return subprocess.run(command, input=input, capture_output=True, check=check, timeout=120)

    def import_image(self, name: str = "localhost/hostaudit-lab/busybox:1") -> str:
        """The busybox rootfs imported as an image: no registry."""
        self.podman("import", "-", name, input=busybox_tar())
        return name

    def create(self, name: str, *options: str, image: str = "localhost/hostaudit-lab/busybox:1") -> str:
        return self.podman("create", "--name", name, *options, image, "sleep", "3600").stdout.decode().strip()

    def remove_all(self) -> None:
        self.podman("rm", "--all", "--force", check=False)
        self.podman("system", "reset", "--force", check=False)
        unmount_below(self.base)
        shutil.rmtree(self.base, ignore_errors=True)


ROOTLESS_SCRIPT = "/usr/share/docker.io/contrib/dockerd-rootless.sh"


@dataclass
class PrivateRootlessDocker:
    """A rootless dockerd (dockerd-rootless.sh under rootlesskit) run by a throw-away user, with its runtime dir and
    data root under `base`. Host networking (`--net=host`): slirp4netns needs /dev/net/tun, often root-only."""

    base: Path
    user: str = "ha-rootless"
    subid_start: int = 700000
    process: subprocess.Popen | None = field(default=None, repr=False)
    running: bool = False  # whether containers could be started (rootless cgroups permitting)
    daemon_json: dict = field(default_factory=dict)  # the user's ~/.config/docker/daemon.json, when not empty
    _subid_lines: tuple[str, ...] = ()

    @property
    def socket(self) -> Path:
        return self.base / "run" / "docker.sock"

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    @property
    def config_file(self) -> Path:
        """The user's daemon.json, where a rootless dockerd looks for it ($HOME/.config/docker)."""
        return self.base / "home" / ".config" / "docker" / "daemon.json"

    @property
    def uid(self) -> int:
        import pwd

        return pwd.getpwnam(self.user).pw_uid

    @property
    def gid(self) -> int:
        import pwd

        return pwd.getpwnam(self.user).pw_gid

    def start(self, timeout: float = 60.0) -> PrivateRootlessDocker:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", self.user],
                       check=True, capture_output=True)
        self._subid_lines = (f"{self.user}:{self.subid_start}:65536",)
        for table in ("/etc/subuid", "/etc/subgid"):
            with open(table, "a", encoding="utf-8") as handle:
                handle.write("".join(line + "\n" for line in self._subid_lines))
        self.base.chmod(0o755)
        for part in ("run", "data", "home", "home/.config", "home/.config/docker"):
            (self.base / part).mkdir(mode=0o700)
            os.chown(self.base / part, self.uid, self.gid)
        if self.daemon_json:
            self.config_file.write_text(json.dumps(self.daemon_json))
            os.chown(self.config_file, self.uid, self.gid)
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(self.base / "home"),
               "XDG_RUNTIME_DIR": str(self.base / "run"), "DOCKERD_ROOTLESS_ROOTLESSKIT_NET": "host",
               "DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER": "none"}
        log = open(self.base / "dockerd.log", "wb")  # noqa: SIM115 - handed to the daemon for its lifetime
        self.process = subprocess.Popen(
            ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--init-groups", ROOTLESS_SCRIPT,
             "--data-root", str(self.base / "data"), "--iptables=false", "--bridge=none"],
            env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            _wait(lambda: self.process.poll() is not None or self.docker("info", check=False).returncode == 0,
                  timeout, "the rootless dockerd")
            if self.process.poll() is not None:
                raise RuntimeError("the rootless dockerd exited")
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}: {(self.base / 'dockerd.log').read_text()[-2000:]}") from exc
        return self

    def docker(self, *args: str, input: bytes | None = None, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(["docker", "-H", self.url, *args], input=input, capture_output=True, check=check,
                              timeout=120)

    def import_image(self, name: str = "hostaudit-lab/busybox:1") -> str:
        self.docker("import", "-", name, input=busybox_tar())
        return name

    def stop(self) -> None:
        if self.process is not None:
            # its containers' shims run in sessions of their own: a signal to the daemon's group leaves them (and
            # the user, whom userdel then refuses to remove) behind
            ids = self.docker("ps", "-aq", check=False).stdout.decode().split() if self.process.poll() is None else []
            if ids:
                self.docker("rm", "-f", *ids, check=False)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        for table in ("/etc/subuid", "/etc/subgid"):
            lines = Path(table).read_text(encoding="utf-8").splitlines()
            Path(table).write_text("".join(f"{line}\n" for line in lines if line not in self._subid_lines),
                                   encoding="utf-8")
        subprocess.run(["userdel", self.user], capture_output=True, check=False)
        unmount_below(self.base)
        shutil.rmtree(self.base, ignore_errors=True)
