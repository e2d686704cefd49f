#!/usr/bin/python
"""Ansible module of the container_hardening role: put daemon.json keys in force on the running dockerd, or roll back.

Per key: refused with a reason (set on dockerd's command line, icc without iptables, a swarm node, a restart that
would stop running containers, ...) or merged into daemon.json (backup, mode/owner/key order kept). Then dockerd
is reloaded (live-restore first) and/or restarted, the API is awaited and the effective values are read back
(`docker info`, a probe container). On any failure the backup is restored, dockerd restarted, and the module fails
with the reason. A marker beside daemon.json makes a re-run finish an interrupted apply.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule

# daemon.json keys dockerd re-reads on SIGHUP; any other changed key needs a restart
RELOADABLE = frozenset({"live-restore", "insecure-registries", "registry-mirrors", "debug", "labels",
                        "max-concurrent-downloads", "max-concurrent-uploads", "max-download-attempts",
                        "shutdown-timeout", "runtimes", "default-runtime", "authorization-plugins"})
# daemon.json keys whose command-line flag has another name
FLAG_NAMES = {"hosts": "host", "default-ulimits": "default-ulimit", "insecure-registries": "insecure-registry",
              "labels": "label", "registry-mirrors": "registry-mirror", "authorization-plugins": "authorization-plugin",
              "dns-opts": "dns-opt", "exec-opts": "exec-opt", "log-opts": "log-opt", "storage-opts": "storage-opt"}
SHORT_FLAGS = {"H": "host", "D": "debug", "G": "group", "l": "log-level", "b": "bridge", "p": "pidfile", "g": "graph"}
FALSE_WORDS = frozenset({"0", "f", "F", "false", "FALSE", "False"})
MARKER_SUFFIX = ".hostaudit-pending"
# keys removed from newer engines: a daemon.json holding one stops dockerd after an engine upgrade
OBSOLETE = ("disable-legacy-registry", "graph", "cluster-store", "cluster-advertise", "cluster-store-opts", "restrict")


class ApplyError(Exception):
    """A step of the apply failed; the message says which and why."""


def run(argv: list[str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)


def dockerd_processes() -> list[tuple[int, list[str]]]:
    """(pid, argv) of every process whose command name is dockerd."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/comm") as comm:
                if comm.read().strip() != "dockerd":
                    continue
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                argv = [a.decode(errors="replace") for a in cmdline.read().rstrip(b"\0").split(b"\0")]
            with open(f"/proc/{entry}/stat") as stat:
                if stat.read().rpartition(")")[2].split()[0] == "Z":
                    continue
        except OSError:
            continue
        found.append((int(entry), argv))
    return found


def parse_flags(argv: list[str]) -> dict[str, list[str]]:
    """Long flag name -> values given on a dockerd command line (a bare boolean flag has the value 'true')."""
    flags: dict[str, list[str]] = {}
    args = argv[1:]
    i = 0
    while i < len(args):
        arg = args[i]
        name, value = None, None
        if arg.startswith("--"):
            name, eq, value = arg[2:].partition("=")
            value = value if eq else None
        elif arg.startswith("-") and len(arg) >= 2:
            name = SHORT_FLAGS.get(arg[1], arg[1])
            rest = arg[2:].removeprefix("=")
            value = rest or None
        if name is None:
            i += 1
            continue
        if value is None and i + 1 < len(args) and not args[i + 1].startswith("-"):
            value = args[i + 1]
            i += 1
        flags.setdefault(name, []).append("true" if value is None else value)
        i += 1
    return flags


def config_file_of(flags: dict[str, list[str]]) -> str:
    return (flags.get("config-file") or ["/etc/docker/daemon.json"])[-1]


def flag_off(flags: dict[str, list[str]], name: str) -> bool:
    """The boolean flag is set false in any spelling dockerd accepts (--iptables=false, =0, =f, ...)."""
    return any(v in FALSE_WORDS for v in flags.get(name, ()))


class Daemon:
    """The running dockerd behind docker_host, through the docker CLI."""

    def __init__(self, params: dict) -> None:
        self.params = params
        self.cli = [params["docker_cli"], "-H", params["docker_host"]]

    def info(self) -> dict:
        done = run([*self.cli, "info", "--format", "{{json .}}"], timeout=60)
        if done.returncode != 0:
            raise ApplyError(f"cannot read the Docker API at {self.params['docker_host']}: "
                             f"{(done.stderr or done.stdout).strip()[:300]}")
        info = json.loads(done.stdout or "{}")
        if not isinstance(info, dict) or "ServerVersion" not in info:
            raise ApplyError(f"the Docker API at {self.params['docker_host']} answered without a server version")
        return info

    def running_ids(self) -> set[str]:
        done = run([*self.cli, "ps", "-q", "--no-trunc"], timeout=60)
        return set(done.stdout.split()) if done.returncode == 0 else set()

    def wait(self) -> dict:
        deadline = time.monotonic() + self.params["wait_seconds"]
        while True:
            try:
                return self.info()
            except ApplyError as exc:
                if time.monotonic() > deadline:
                    raise ApplyError(f"dockerd did not come back within {self.params['wait_seconds']}s ({exc})") \
                        from exc
                time.sleep(1)

    def probe(self) -> dict[str, str]:
        """/proc/self/status fields of a throw-away container of probe_image (NoNewPrivs, Seccomp)."""
        done = run([*self.cli, "run", "--rm", "--network", "none", "--entrypoint", "/bin/cat",
                    self.params["probe_image"], "/proc/self/status"], timeout=120)
        if done.returncode != 0:
            raise ApplyError(f"the probe container of {self.params['probe_image']} did not run: "
                             f"{done.stderr.strip()[:300]}")
        return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in done.stdout.splitlines())}

    def shell(self, what: str, command: str) -> None:
        done = subprocess.run(command, shell=True, capture_output=True, text=True,
                              timeout=self.params["wait_seconds"] + 60, check=False)
        if done.returncode != 0:
            raise ApplyError(f"the {what} command failed (rc {done.returncode}): "
                             f"{(done.stderr or done.stdout).strip()[-300:]}")

    def reload(self) -> None:
        if self.params["restart_method"] == "systemd":
            self.shell("reload", f"systemctl reload {shlex.quote(self.params['service_name'])}")
        else:
            self.shell("reload", self.params["reload_command"])

    def restart(self) -> None:
        if self.params["restart_method"] == "systemd":
            self.shell("restart", f"systemctl restart {shlex.quote(self.params['service_name'])}")
        else:
            self.shell("restart", self.params["restart_command"])


def effective_mismatches(wanted: dict, removed: list[str], info: dict, probe: dict | None) -> list[str]:
    """daemon.json keys of ours whose value the running daemon does not show (only keys it shows)."""
    security = " ".join(info.get("SecurityOptions") or ())
    off = []
    if "live-restore" in wanted and bool(info.get("LiveRestoreEnabled")) != bool(wanted["live-restore"]):
        off.append("live-restore")
    if "experimental" in wanted and bool(info.get("ExperimentalBuild")) != bool(wanted["experimental"]):
        off.append("experimental")
    if "userns-remap" in wanted and "name=userns" not in security:
        off.append("userns-remap")
    if "seccomp-profile" in removed and "profile=unconfined" in security:
        off.append("seccomp-profile")
    if "no-new-privileges" in wanted and probe is not None and probe.get("NoNewPrivs") != (
            "1" if wanted["no-new-privileges"] else "0"):
        off.append("no-new-privileges")
    return off


def refusals(params: dict, current: dict, flags: dict[str, list[str]], info: dict) -> dict[str, str]:
    """Remediation key -> why it cannot be applied on this host (before looking at restarts)."""
    refused = dict(params["refused"])
    owned = params["keys"]
    for key, names in owned.items():
        if key in refused:
            continue
        clash = [n for n in names if n in flags or FLAG_NAMES.get(n) in flags]
        if clash:
            refused[key] = (f"{', '.join(clash)} also set on dockerd's command line; dockerd refuses a directive in "
                            "both places: change the service's ExecStart instead")
    if "icc" in owned and "icc" not in refused:
        iptables_on = not flag_off(flags, "iptables") and (
            ("iptables" in owned and "iptables" not in refused) or current.get("iptables", True) is not False)
        if not iptables_on:
            refused["icc"] = ("dockerd runs with iptables off (command line or daemon.json) and would not start "
                              "with icc false: turn iptables on first")
    if "live_restore" in owned and (info.get("Swarm") or {}).get("LocalNodeState") == "active":
        refused["live_restore"] = "this dockerd is an active swarm node; live-restore does not work with swarm mode"
    if "cgroup_parent" in owned:
        value = str(params["set"].get("cgroup-parent", ""))
        if not value:
            refused["cgroup_parent"] = "needs container_hardening_cgroup_parent_value"
        elif (info.get("CgroupDriver") == "systemd") != value.endswith(".slice"):
            refused["cgroup_parent"] = (f"cgroup driver {info.get('CgroupDriver')} does not take cgroup-parent "
                                        f"{value} (systemd needs a .slice name, cgroupfs a path)")
    if "tls_verify" in owned:
        paths = [params["set"].get(k) for k in ("tlscacert", "tlscert", "tlskey")]
        if not all(paths):
            refused["tls_verify"] = "needs container_hardening_tls_verify_cacert, _cert and _key (paths on the host)"
        elif missing := [p for p in paths if not os.path.exists(p)]:
            refused["tls_verify"] = f"missing: {', '.join(missing)}"
    return refused


def merge(current: dict, sets: dict, removes: list[str]) -> dict:
    """Existing keys keep their place; new keys go at the end."""
    merged = {k: v for k, v in current.items() if k not in removes}
    merged.update(sets)
    return merged


def write_like(path: str, text: str, stat: os.stat_result | None) -> None:
    """Replace `path` atomically, keeping its mode and owner (a new file: 0600 root)."""
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix=".daemon.json.", dir=directory)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(text)
        os.chmod(tmp, (stat.st_mode & 0o7777) if stat else 0o600)
        if stat:
            os.chown(tmp, stat.st_uid, stat.st_gid)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def validates(dockerd: str) -> bool:
    """This dockerd has --validate (Engine 23.0+); 20.10 has not, and its keys are checked by refusals()."""
    try:
        return bool(dockerd) and "--validate" in run([dockerd, "--help"], timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False


def read_text(path: str) -> str:
    with open(path) as source:
        return source.read()


def dump(config: dict) -> str:
    return json.dumps(config, indent=2) + "\n"


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "str", "required": True},
            "set": {"type": "dict", "default": {}},
            "remove": {"type": "list", "elements": "str", "default": []},
            "keys": {"type": "dict", "default": {}},  # remediation key -> its daemon.json names
            "refused": {"type": "dict", "default": {}},
            "docker_cli": {"type": "str", "default": "docker"},
            "docker_host": {"type": "str", "required": True},
            "dockerd_binary": {"type": "str", "default": "dockerd"},
            "extra_flags": {"type": "list", "elements": "str", "default": []},
            "restart_method": {"type": "str", "choices": ["systemd", "command", "none"], "default": "systemd"},
            "service_name": {"type": "str", "default": "docker"},
            "restart_command": {"type": "str", "default": ""},
            "reload_command": {"type": "str", "default": ""},
            "wait_seconds": {"type": "int", "default": 60},
            "probe_image": {"type": "str", "default": ""},
        },
        supports_check_mode=True,
    )
    params = module.params
    path = params["path"]
    if params["restart_method"] == "command" and not params["restart_command"]:
        module.fail_json(msg="restart_method command needs container_hardening_restart_command")
    marker = path + MARKER_SUFFIX
    daemon = Daemon(params)
    try:
        stat = os.stat(path) if os.path.exists(path) else None
        text = read_text(path) if stat else ""
        current = json.loads(text) if text.strip() else {}
    except (OSError, ValueError) as exc:
        module.fail_json(msg=f"cannot read {path} as JSON ({exc}); fix it by hand first")
    if not isinstance(current, dict):
        module.fail_json(msg=f"{path} is not a JSON object; fix it by hand first")
    processes = [(pid, argv) for pid, argv in dockerd_processes() if config_file_of(parse_flags(argv)) == path]
    flags = parse_flags(processes[0][1]) if processes else {}
    for name in params["extra_flags"]:
        flags.setdefault(name, ["true"])
    try:
        info = daemon.info()
    except ApplyError as exc:
        if params["restart_method"] != "none":
            module.fail_json(msg=str(exc))
        info = {}  # nothing is restarted: the file alone is written, for the operator to put in force
    result: dict = {"changed": False, "path": path, "dockerd_pids": [p for p, _ in processes]}
    obsolete = [k for k in OBSOLETE if k in current]
    if obsolete:
        module.warn(f"{path} holds {', '.join(obsolete)}, removed in newer Docker Engine releases: take them out "
                    "before upgrading the engine (this role keeps them)")
    clash = [k for k in current if k in flags or FLAG_NAMES.get(k) in flags]
    if clash:
        reason = f"{path} already holds {', '.join(clash)}, also set on dockerd's command line; fix that by hand first"
        refused = {key: reason for key in params["keys"]}
    else:
        refused = refusals(params, current, flags, info)

    def plan(refused: dict[str, str]) -> tuple[dict, dict, list[str]]:
        names = {n for key, ns in params["keys"].items() if key not in refused for n in ns}
        sets = {k: v for k, v in params["set"].items() if k in names}
        # a custom seccomp profile is a site choice: only "unconfined" is taken out
        removes = [k for k in params["remove"] if k in names and (
            k != "seccomp-profile" or str(current.get(k, "")).lower() == "unconfined")]
        return merge(current, sets, removes), sets, removes

    pending = []
    if os.path.exists(marker):
        try:
            pending = list(json.loads(read_text(marker)).get("keys") or [])
        except (OSError, ValueError, AttributeError):
            pending = list(current)
    can_reload = params["restart_method"] == "systemd" or bool(params["reload_command"])
    probe = None
    if params["probe_image"] and "no-new-privileges" in params["set"] and not module.check_mode:
        try:
            probe = daemon.probe()
        except ApplyError as exc:
            module.fail_json(msg=str(exc))
    running = int(info.get("ContainersRunning") or 0)
    while True:
        merged, sets, removes = plan(refused)
        changed_keys = [k for k in {*merged, *current} if merged.get(k, KeyError) != current.get(k, KeyError)]
        stale = effective_mismatches(sets, removes, info, probe)
        affected = sorted({*changed_keys, *stale, *pending})
        reload_keys = [k for k in affected if k in RELOADABLE] if can_reload else []
        restart_keys = [k for k in affected if k not in reload_keys]
        live_restore_first = merged.get("live-restore") is True and not info.get("LiveRestoreEnabled") and can_reload
        if not (restart_keys and running and params["restart_method"] != "none" and not info.get("LiveRestoreEnabled")
                and not live_restore_first):
            break
        stopping = {key for key, ns in params["keys"].items() if key not in refused and set(ns) & set(restart_keys)}
        if not stopping:
            break
        for key in stopping:
            refused[key] = (f"needs a dockerd restart, which would stop the {running} running container(s): "
                            "live-restore is not in force and cannot be loaded by a reload first (enable live_restore "
                            "with a reload command, or restart dockerd yourself in a maintenance window)")
    result.update(refused=refused, applied=sorted(k for k in params["keys"] if k not in refused),
                  changed_keys=sorted(changed_keys), stale_keys=stale, reload_keys=reload_keys,
                  restart_keys=restart_keys)
    if not affected:
        result["msg"] = "daemon.json and the running dockerd match for every applied key"
        module.exit_json(**result)
    new_text = dump(merged) if changed_keys else text
    if changed_keys:
        result["diff"] = {"before": text, "after": new_text, "before_header": path, "after_header": path}
    if changed_keys and validates(params["dockerd_binary"]):
        with tempfile.NamedTemporaryFile("w", suffix=".json") as candidate:
            candidate.write(new_text)
            candidate.flush()
            done = run([params["dockerd_binary"], "--validate", "--config-file", candidate.name])
        if done.returncode != 0:
            module.fail_json(msg=f"dockerd --validate refuses the new file: {(done.stderr or done.stdout).strip()}",
                             **result)
    result["changed"] = True
    if module.check_mode:
        module.exit_json(**result)
    if params["restart_method"] == "none":
        if changed_keys:
            if stat:
                result["backup"] = module.backup_local(path)
            write_like(path, new_text, stat)
        result["msg"] = "daemon.json changed; restart dockerd yourself, the change is not in force until then"
        module.exit_json(**result)
    backup = None
    if changed_keys and stat:
        backup = result["backup"] = module.backup_local(path)
    with open(marker, "w") as out:
        json.dump({"keys": affected, "backup": backup}, out)
    os.chmod(marker, 0o600)
    before_ids = daemon.running_ids()
    step = "write"
    try:
        if changed_keys:
            write_like(path, new_text, stat)
        if reload_keys or live_restore_first:
            step = "reload"
            daemon.reload()
            result["reloaded"] = True
            if live_restore_first:
                deadline = time.monotonic() + params["wait_seconds"]
                while not daemon.wait().get("LiveRestoreEnabled"):
                    if time.monotonic() > deadline:
                        raise ApplyError("live-restore is not in force after the reload; no restart was done")
                    time.sleep(1)
        if restart_keys:
            step = "restart"
            old_pids = {pid for pid, argv in dockerd_processes() if config_file_of(parse_flags(argv)) == path}
            daemon.restart()
            result["restarted"] = True
            info = daemon.wait()
            new_pids = {pid for pid, argv in dockerd_processes() if config_file_of(parse_flags(argv)) == path}
            if old_pids and new_pids & old_pids:
                raise ApplyError(f"dockerd (pid {sorted(new_pids & old_pids)}) was not restarted")
        step = "verify"
        deadline = time.monotonic() + 10  # a SIGHUP is handled asynchronously
        while True:
            info = daemon.wait()
            probe = daemon.probe() if params["probe_image"] and "no-new-privileges" in sets else None
            stale = effective_mismatches(sets, removes, info, probe)
            if not stale or restart_keys or time.monotonic() > deadline:
                break
            time.sleep(1)
        if stale:
            raise ApplyError(f"the running dockerd does not show {', '.join(stale)} after the "
                             f"{'restart' if restart_keys else 'reload'}")
    except (ApplyError, OSError, subprocess.TimeoutExpired) as exc:
        reason = f"{step} failed: {exc}"
        try:
            if backup:
                shutil.copy2(backup, path)
            elif changed_keys and not stat and os.path.exists(path):
                os.unlink(path)
            if result.get("restarted") or step == "restart":
                daemon.restart()
            elif result.get("reloaded"):
                daemon.reload()
            daemon.wait()
        except (ApplyError, OSError, subprocess.TimeoutExpired) as again:
            module.fail_json(msg=f"{reason}; ROLLBACK FAILED: {again} (backup: {backup})", **result)
        os.unlink(marker)
        module.fail_json(msg=f"{reason}; rolled back: the previous daemon.json is back in force", **result)
    os.unlink(marker)
    lost = before_ids - daemon.running_ids()
    if lost:
        module.fail_json(msg=f"applied, but {len(lost)} container(s) stopped running: {', '.join(sorted(lost))[:300]}",
                         **result)
    result["msg"] = f"in force: {', '.join(affected)}"
    module.exit_json(**result)


if __name__ == "__main__":
    main()
