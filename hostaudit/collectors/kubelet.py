"""The host's kubelet: its command line (the process table) and the KubeletConfiguration file its --config names.

Only a kubelet process in the host's initial namespaces counts, so no container can make the audit read a file."""

from __future__ import annotations

from typing import Any

from hostaudit.collectors import CollectContext, CollectorError, CollectorSkipped
from hostaudit.collectors._fs import process_started_at, read_parsed
from hostaudit.model import ConfigFile, KubeletFacts

# kubelet flags that take no separate value (pflag: `--flag` means true, `--flag=false` sets false)
BOOL_FLAGS = frozenset({
    "anonymous-auth", "protect-kernel-defaults", "seccomp-default", "rotate-certificates", "rotate-server-certificates",
    "fail-swap-on", "make-iptables-util-chains", "serialize-image-pulls", "register-node", "cgroups-per-qos",
    "enable-server", "enable-debugging-handlers", "kernel-memcg-notification", "keep-terminated-pod-volumes",
    "exit-on-lock-contention", "register-schedulable", "enable-controller-attach-detach", "help", "version",
    "alsologtostderr", "logtostderr", "local-storage-capacity-isolation",
})


def parse_flags(argv: tuple[str, ...]) -> dict[str, str]:
    """Long flag name -> the last value given, in every syntax pflag accepts (`--f=v`, `--f v`, `-f v`, `--bool`)."""
    flags: dict[str, str] = {}
    args = list(argv[1:])
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if not arg.startswith("-") or arg in ("-", "--"):
            continue
        name, has_value, value = arg.lstrip("-").partition("=")
        if not has_value:
            if name in BOOL_FLAGS:
                value = "true"
            elif index < len(args):
                value = args[index]
                index += 1
        flags[name] = value
    return flags


def parse_yaml_object(text: str) -> dict[str, Any]:
    """A YAML document that must be a mapping; ValueError with a readable message otherwise."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"invalid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"expected a YAML mapping, found {type(data).__name__}")
    return data


def read_config(path: str) -> ConfigFile:
    """The kubelet's config file parsed, or why not."""
    return read_parsed(path, parse_yaml_object)


def collect(ctx: CollectContext) -> KubeletFacts:
    procs = ctx.processes_named("kubelet")
    if not procs and ctx.named_but_unproven("kubelet"):
        raise CollectorError(f"kubelet: a process is named kubelet, but the host's namespaces are "
                             f"{ctx.reference.source}, so it cannot be told from a container's")
    if not procs:
        raise CollectorSkipped("kubelet: not running on the host (only root's host processes count: a container's or "
                               "another user's process named kubelet does not)")
    proc = procs[0]
    flags = parse_flags(proc.argv)
    config_path = flags.get("config")
    return KubeletFacts(pid=proc.pid, argv=proc.argv, flags=flags,
                        config=read_config(config_path) if config_path else None,
                        started_at=process_started_at(proc.pid))
