"""A private containerd with its CRI plugin on, and real pods planted through CRI v1 the way kubelet asks for them.

Everything lives under the lab's own directory (sockets, root, state, runc root, CNI config and IPAM, logs); pod
cgroups go under a parent named after the lab, and pods with their own network get a bridge named after it.
`stop()` removes the pods, stops containerd by its pid, and removes the cgroups and the bridge, also after a failure.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from tests.lab import CTR_IMAGE, PrivateContainerd, _wait, oci_image_tar

PAUSE_IMAGE = "docker.io/hostaudit-lab/pause:1"
CNI_BIN = Path("/usr/lib/cni")
# what kubelet sends for a container that is not privileged (procMount Default)
MASKED = ("/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
          "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware")
READONLY = ("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger")


def cni_available() -> bool:
    return all((CNI_BIN / plugin).exists() for plugin in ("bridge", "host-local", "loopback"))


@dataclass
class PodSpec:
    """What kubelet would send for one pod: pod-level options and its containers' security contexts."""

    namespace: str
    name: str
    host_network: bool = False
    host_pid: bool = False
    host_ipc: bool = False
    labels: dict[str, str] = field(default_factory=dict)
    run_as_user: int | None = None
    uid: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass
class ContainerSpec:
    name: str
    privileged: bool = False
    add_caps: tuple[str, ...] = ()
    drop_caps: tuple[str, ...] = ()
    run_as_user: int | None = None
    run_as_group: int | None = None
    readonly_rootfs: bool = False
    no_new_privs: bool = False
    seccomp: str = "Unconfined"  # RuntimeDefault / Unconfined, as kubelet maps the pod's seccompProfile
    mounts: tuple[tuple[str, str], ...] = ()  # (host path, container path)
    command: tuple[str, ...] = ("/bin/sleep", "3600")
    start: bool = True
    wait_exit: bool = False
    masked: bool = True  # kubelet's masked and read-only /proc paths (procMount Default)


@dataclass
class PrivateCri(PrivateContainerd):
    """containerd 1.6 with CRI; pods through `cri_api.v1` (PyPI container-runtime-interface-api)."""

    pods: list[str] = field(default_factory=list)
    cri_settings: tuple[str, ...] = ()  # more `key = value` lines for the CRI plugin's table

    @property
    def tag(self) -> str:
        return hashlib.sha256(str(self.base).encode()).hexdigest()[:8]

    @property
    def bridge(self) -> str:
        return f"hacri{self.tag}"

    @property
    def cgroup_parent(self) -> str:
        return f"/hacri-{self.tag}"

    def _config(self) -> str:
        base = self.base
        cni = (f'    [plugins."io.containerd.grpc.v1.cri".cni]\n      bin_dir = "{CNI_BIN}"\n'
               f'      conf_dir = "{base}/cni/net.d"\n')
        return (
            'version = 2\n'
            f'root = "{base}/root"\nstate = "{self.state}"\n'
            'disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",'
            ' "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.devmapper"]\n'
            f'[grpc]\n  address = "{self.socket}"\n'
            f'[ttrpc]\n  address = "{self.socket}.ttrpc"\n'
            f'[debug]\n  address = "{base}/debug.sock"\n'
            '[plugins]\n'
            f'  [plugins."io.containerd.runtime.v1.linux"]\n    runtime_root = "{base}/runtime-v1"\n'
            f'  [plugins."io.containerd.internal.v1.opt"]\n    path = "{base}/opt"\n'
            '  [plugins."io.containerd.grpc.v1.cri"]\n'
            f'    sandbox_image = "{PAUSE_IMAGE}"\n'
            '    netns_mounts_under_state_dir = true\n'
            # CRI gives the sandbox oom_score_adj -998, which needs CAP_SYS_RESOURCE (absent from this VM)
            '    restrict_oom_score_adj = true\n'
            '    stream_server_address = "127.0.0.1"\n    stream_server_port = "0"\n'
            + "".join(f"    {line}\n" for line in self.cri_settings) +
            '    [plugins."io.containerd.grpc.v1.cri".containerd]\n'
            '      snapshotter = "overlayfs"\n      default_runtime_name = "runc"\n'
            '      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]\n'
            '        runtime_type = "io.containerd.runc.v2"\n'
            '        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]\n'
            f'          Root = "{base}/runc"\n          SystemdCgroup = false\n'
            + cni
        )

    def start(self, timeout: float = 30.0) -> PrivateCri:
        self.base.mkdir(parents=True, exist_ok=True)
        (self.base / "cni" / "net.d").mkdir(parents=True, exist_ok=True)
        subnet = f"10.{200 + int(self.tag[:2], 16) % 50}.{int(self.tag[2:4], 16)}.0/24"
        (self.base / "cni" / "net.d" / "10-lab.conflist").write_text(json.dumps({
            "cniVersion": "0.4.0", "name": "hacri", "plugins": [{
                "type": "bridge", "bridge": self.bridge, "isGateway": False, "ipMasq": False,
                "ipam": {"type": "host-local", "dataDir": f"{self.base}/cni/ipam",
                         "ranges": [[{"subnet": subnet}]]}}]}))
        config = self.base / "config.toml"
        config.write_text(self._config())
        process = subprocess.Popen(["containerd", "--config", str(config)], stdout=(self.base / "log").open("wb"),
                                   stderr=subprocess.STDOUT, start_new_session=True)
        self.pid = process.pid
        _wait(lambda: self.ctr("version", check=False).returncode == 0, timeout, f"containerd on {self.socket}")
        for name in (PAUSE_IMAGE, CTR_IMAGE):
            self.ctr("images", "import", "-", input=oci_image_tar(name))
        _wait(lambda: self._has_image(PAUSE_IMAGE), 10, "the pause image in CRI")
        return self

    # ------------------------------------------------------------ CRI client

    @property
    def runtime(self):
        import grpc
        from cri_api.v1 import api_pb2_grpc

        if not hasattr(self, "_stub"):
            self._channel = grpc.insecure_channel(f"unix://{self.socket}")
            self._stub = api_pb2_grpc.RuntimeServiceStub(self._channel)
        return self._stub

    def _has_image(self, name: str) -> bool:
        import grpc
        from cri_api.v1 import api_pb2, api_pb2_grpc

        with grpc.insecure_channel(f"unix://{self.socket}") as channel:
            images = api_pb2_grpc.ImageServiceStub(channel).ListImages(api_pb2.ListImagesRequest(), timeout=5).images
        return any(name in image.repo_tags for image in images)

    def run_pod(self, pod: PodSpec, containers: list[ContainerSpec]) -> dict[str, str]:
        """RunPodSandbox, then CreateContainer (and StartContainer unless `start` is off) for each container,
        in order; returns name -> container id, with the sandbox id under "(sandbox)"."""
        from cri_api.v1 import api_pb2 as pb

        namespaces = pb.NamespaceOption(
            network=pb.NODE if pod.host_network else pb.POD, pid=pb.NODE if pod.host_pid else pb.POD,
            ipc=pb.NODE if pod.host_ipc else pb.POD)
        logs = self.base / "logs" / f"{pod.namespace}_{pod.name}_{pod.uid}"
        logs.mkdir(parents=True, exist_ok=True)
        kubelet_labels = {"io.kubernetes.pod.name": pod.name, "io.kubernetes.pod.namespace": pod.namespace,
                          "io.kubernetes.pod.uid": pod.uid}
        # kubelet marks the sandbox privileged when any container is; CRI refuses a privileged container otherwise
        sandbox_context = pb.LinuxSandboxSecurityContext(namespace_options=namespaces,
                                                         privileged=any(c.privileged for c in containers))
        if pod.run_as_user is not None:
            sandbox_context.run_as_user.value = pod.run_as_user
        config = pb.PodSandboxConfig(
            metadata=pb.PodSandboxMetadata(name=pod.name, namespace=pod.namespace, uid=pod.uid, attempt=0),
            hostname="" if pod.host_network else pod.name, log_directory=str(logs),
            labels={**pod.labels, **kubelet_labels},
            annotations={"kubernetes.io/config.source": "api"},
            linux=pb.LinuxPodSandboxConfig(cgroup_parent=f"{self.cgroup_parent}/pod{pod.uid}",
                                           security_context=sandbox_context))
        sandbox = self.runtime.RunPodSandbox(pb.RunPodSandboxRequest(config=config), timeout=60).pod_sandbox_id
        self.pods.append(sandbox)
        ids = {"(sandbox)": sandbox}
        for spec in containers:
            ids[spec.name] = self._container(sandbox, config, namespaces, spec, kubelet_labels)
        return ids

    def _container(self, sandbox: str, pod_config, namespaces, spec: ContainerSpec, pod_labels: dict[str, str]
                   ) -> str:
        from cri_api.v1 import api_pb2 as pb

        context = pb.LinuxContainerSecurityContext(
            privileged=spec.privileged, readonly_rootfs=spec.readonly_rootfs, no_new_privs=spec.no_new_privs,
            capabilities=pb.Capability(add_capabilities=list(spec.add_caps), drop_capabilities=list(spec.drop_caps)),
            seccomp=pb.SecurityProfile(profile_type=pb.SecurityProfile.ProfileType.Value(spec.seccomp)),
            namespace_options=namespaces)
        if spec.run_as_user is not None:
            context.run_as_user.value = spec.run_as_user
        if spec.run_as_group is not None:
            context.run_as_group.value = spec.run_as_group
        if not spec.privileged and spec.masked:
            context.masked_paths.extend(MASKED)
            context.readonly_paths.extend(READONLY)
        config = pb.ContainerConfig(
            metadata=pb.ContainerMetadata(name=spec.name, attempt=0), image=pb.ImageSpec(image=CTR_IMAGE),
            command=list(spec.command), log_path=f"{spec.name}/0.log",
            labels={**pod_labels, "io.kubernetes.container.name": spec.name},
            mounts=[pb.Mount(host_path=src, container_path=dst) for src, dst in spec.mounts],
            linux=pb.LinuxContainerConfig(security_context=context))
        container = self.runtime.CreateContainer(pb.CreateContainerRequest(
            pod_sandbox_id=sandbox, config=config, sandbox_config=pod_config), timeout=60).container_id
        if spec.start:
            self.runtime.StartContainer(pb.StartContainerRequest(container_id=container), timeout=60)
        if spec.wait_exit:
            _wait(lambda: self.runtime.ContainerStatus(pb.ContainerStatusRequest(container_id=container), timeout=5)
                  .status.state == pb.CONTAINER_EXITED, 20, f"{spec.name} to exit")
        return container

    def limit_pod(self, pod: PodSpec, controller: str, file: str, value: str) -> Path:
        """Write a limit into the pod's cgroup, as kubelet does for podPidsLimit and pod-level resources."""
        unified = Path("/sys/fs/cgroup/cgroup.controllers").exists()
        root = Path("/sys/fs/cgroup") if unified else Path("/sys/fs/cgroup") / controller
        path = root / self.cgroup_parent.lstrip("/") / f"pod{pod.uid}" / file
        path.write_text(value)
        return path

    def remove_pod(self, sandbox: str) -> None:
        from cri_api.v1 import api_pb2 as pb

        self.runtime.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=sandbox), timeout=60)
        self.runtime.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=sandbox), timeout=60)
        self.pods.remove(sandbox)

    def remove_all(self) -> None:
        for sandbox in list(self.pods):
            try:
                self.remove_pod(sandbox)
            except Exception:  # a pod that cannot be removed must not keep the daemon running
                self.pods.remove(sandbox)
        if hasattr(self, "_channel"):
            self._channel.close()
            del self._stub, self._channel

    def stop(self) -> None:
        super().stop()
        name = self.cgroup_parent.lstrip("/")
        for root in [*Path("/sys/fs/cgroup").glob(f"*/{name}"), Path("/sys/fs/cgroup") / name]:
            if not root.is_dir():
                continue
            for directory in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
                _rmdir(directory)
            _rmdir(root)
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True, check=False)


def from_pod_spec(namespace: str, name: str, spec: dict, labels: dict[str, str] | None = None
                  ) -> tuple[PodSpec, list[ContainerSpec]]:
    """What kubelet (without SeccompDefault) asks CRI for, for a Kubernetes PodSpec (camelCase): init containers
    first and run to completion, then the app containers; hostPath volumes become bind mounts."""
    pod_context = spec.get("securityContext") or {}
    volumes = {v["name"]: v["hostPath"]["path"] for v in spec.get("volumes", ()) if "hostPath" in v}

    def container(item: dict, init: bool) -> ContainerSpec:
        context = item.get("securityContext") or {}
        caps = context.get("capabilities") or {}
        seccomp = (context.get("seccompProfile") or pod_context.get("seccompProfile") or {}).get("type")
        return ContainerSpec(
            name=item["name"], privileged=context.get("privileged") is True,
            add_caps=tuple(caps.get("add") or ()), drop_caps=tuple(caps.get("drop") or ()),
            run_as_user=context.get("runAsUser", pod_context.get("runAsUser")),
            run_as_group=context.get("runAsGroup", pod_context.get("runAsGroup")),
            readonly_rootfs=context.get("readOnlyRootFilesystem") is True,
            no_new_privs=context.get("allowPrivilegeEscalation") is False,
            seccomp="RuntimeDefault" if seccomp in ("RuntimeDefault", "Localhost") else "Unconfined",
            mounts=tuple((volumes[m["name"]], m["mountPath"]) for m in item.get("volumeMounts", ())
                         if m["name"] in volumes),
            command=("/bin/true",) if init else ("/bin/sleep", "3600"), wait_exit=init,
            masked=context.get("procMount", "Default") == "Default")

    pod = PodSpec(namespace, name, host_network=spec.get("hostNetwork") is True,
                  host_pid=spec.get("hostPID") is True, host_ipc=spec.get("hostIPC") is True, labels=labels or {})
    return pod, [container(c, True) for c in spec.get("initContainers", ())] + [
        container(c, False) for c in spec["containers"]]


def _rmdir(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.rmdir(path)


def has_cri_client() -> bool:
    return shutil.which("containerd") is not None and _importable("cri_api.v1.api_pb2")


def _importable(module: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False
