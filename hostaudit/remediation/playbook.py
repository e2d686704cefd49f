"""The remediation playbook: the container_hardening role with only the failed keys turned on."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hostaudit import catalog
from hostaudit.evidence import SETTING_SOURCE
from hostaudit.model import Status
from hostaudit.remediation.unsafe import Unsafe
from hostaudit.report import shown_status

ROLE_NAME = "container_hardening"
DISRUPTIVE_KEYS = frozenset({"userns_remap", "cgroup_parent"})
# Keys that cannot run without site values; the role refuses them when these variables are empty.
REQUIRED_VARS = {
    "tls_verify": ("container_hardening_tls_verify_cacert", "container_hardening_tls_verify_cert",
                   "container_hardening_tls_verify_key"),
    "cgroup_parent": ("container_hardening_cgroup_parent_value",),
}

# A key whose fix only works when another failing key is fixed too (dockerd refuses icc=false without iptables).
NEEDS_KEY = {"icc": "iptables"}


def role_path() -> Path:
    """The role shipped in the wheel (hostaudit/ansible/...) or, in a checkout, the repository's ansible/ folder."""
    package = Path(__file__).resolve().parents[1]
    for base in (package / "ansible", package.parent / "ansible"):
        if (base / "roles" / ROLE_NAME / "tasks" / "main.yml").is_file():
            return base / "roles" / ROLE_NAME
    raise FileNotFoundError(f"the {ROLE_NAME} role is not installed beside {package}")


def role_keys(role: Path) -> frozenset[str]:
    """Remediation keys the role has a task file for."""
    return frozenset(p.stem for p in (role / "tasks").glob("*.yml") if p.stem != "main" and not p.stem.startswith("_"))


def role_variables(role: Path) -> frozenset[str]:
    """The role's documented variables (its defaults)."""
    import yaml

    return frozenset(yaml.safe_load((role / "defaults" / "main.yml").read_text()) or {})


@dataclass(frozen=True)
class PlaybookOptions:
    daemon_json: str | None = None
    restart_method: str | None = None  # systemd / command / none; command when a restart command is given
    restart_command: str | None = None
    reload_command: str | None = None
    docker_host: str | None = None
    hosts: str = "all"
    role: str | None = None  # a role name or path; default: the installed role's path
    allow_disruptive: bool = False
    variables: dict[str, Any] = field(default_factory=dict)  # extra role variables, e.g. TLS paths


ENDPOINT = "daemon"  # the subject key of the results of the dockerd the audit connected to


@dataclass(frozen=True)
class KeyDecision:
    key: str
    enabled: bool
    checks: tuple[str, ...]
    reason: str = ""  # why a failed key is left off
    engine: str = ""  # the dockerd it is aimed at, when not the endpoint's (its socket)

    @property
    def label(self) -> str:
        return f"{self.key} ({self.engine})" if self.engine else self.key


def _concerns(finding: dict[str, Any], engine: str) -> bool:
    """Whether a finding is fixed on `engine` (a daemon subject key): a dockerd's results on its own; the host's
    and the containers' with the endpoint's dockerd."""
    subject = finding.get("subject") if isinstance(finding.get("subject"), dict) else {}
    if subject.get("kind") == "daemon":
        return subject.get("key") == engine
    return engine == ENDPOINT


def _set_on_command_line(findings: list[dict[str, Any]]) -> bool:
    """A daemon finding decided by dockerd's argv: writing daemon.json too would stop dockerd."""
    return any(SETTING_SOURCE.read(f.get("evidence") or {}) == "argv" for f in findings)


def decide_keys(report: dict[str, Any], known_keys: frozenset[str], options: PlaybookOptions,
                engine: str = ENDPOINT) -> list[KeyDecision]:
    """For each remediation key of a failing, non-waived finding on `engine` (a daemon subject key; the endpoint's
    dockerd also takes the host's findings): turn it on, or say why not."""
    by_key: dict[str, list[dict[str, Any]]] = {}
    catalog_keys = {check_id: check.meta.ansible_key for check_id, check in catalog.load().items()}
    for finding in report.get("findings") or ():
        # the key comes from this catalog by check id, never from the report's text (a report can say anything)
        check_id = finding.get("check_id") if isinstance(finding, dict) and _concerns(finding, engine) else None
        key = catalog_keys.get(check_id) if isinstance(check_id, str) else None
        if key and shown_status(str(finding.get("status")), finding.get("waiver")) == Status.FAIL.value:
            by_key.setdefault(str(key), []).append(finding)
    decisions = []
    for key, findings in sorted(by_key.items()):
        checks = tuple(sorted({str(f.get("check_id")) for f in findings}))
        missing = [v for v in REQUIRED_VARS.get(key, ()) if not options.variables.get(v)]
        if key not in known_keys:
            reason = "unknown remediation key (not in this role)"
        elif key in DISRUPTIVE_KEYS and not options.allow_disruptive:
            reason = "disruptive: left off (see the role's documentation; use --allow-disruptive)"
        elif _set_on_command_line(findings):
            reason = "set on dockerd's command line: change the service's ExecStart, not daemon.json"
        elif missing:
            reason = f"needs {', '.join(missing)} (give them with --var NAME=VALUE)"
        else:
            reason = ""
        decisions.append(KeyDecision(key, not reason, checks, reason))
    left_off = {d.key: d.reason for d in decisions if not d.enabled}
    return [KeyDecision(d.key, False, d.checks, f"needs {NEEDS_KEY[d.key]}, which is left off "
                                                 f"({left_off[NEEDS_KEY[d.key]]})")
            if d.enabled and NEEDS_KEY.get(d.key) in left_off else d for d in decisions]


def build_play(decisions: list[KeyDecision], options: PlaybookOptions, role: str,
               targets: dict[str, Any] | None = None, aimed_at: str = "") -> list[dict[str, Any]]:
    """The playbook as data, for yaml.safe_dump. Report strings enter it only as `targets` (checked paths and the
    unix:// endpoint) and as the reasons of keys left off; the command-line options win over the targets.
    `aimed_at` names the dockerd of a play that is not the endpoint's."""
    play_vars: dict[str, Any] = dict(targets or {})
    if options.daemon_json:
        play_vars["container_hardening_daemon_json_path"] = options.daemon_json
    if options.docker_host:
        play_vars["container_hardening_docker_host"] = options.docker_host
    method = options.restart_method or ("command" if options.restart_command else None)
    if method:
        play_vars["container_hardening_restart_method"] = method
    if options.restart_command:
        play_vars["container_hardening_restart_command"] = options.restart_command
    if options.reload_command:
        play_vars["container_hardening_reload_command"] = options.reload_command
    play_vars.update(options.variables)
    for decision in decisions:
        if decision.enabled:
            play_vars[f"container_hardening_{decision.key}_enabled"] = True
    left_off = {d.label: d.reason for d in decisions if not d.enabled}
    if left_off:
        play_vars["container_hardening_left_off"] = left_off
    name = "Harden the Docker host from a hostaudit report (container_hardening role)"
    return [{
        "name": Unsafe(f"Harden dockerd {aimed_at} from a hostaudit report (container_hardening role)") if aimed_at
        else name,
        "hosts": options.hosts,
        "gather_facts": False,
        "serial": 1,
        "max_fail_percentage": 0,
        "vars": play_vars,
        "roles": [{"role": role}],
    }]
