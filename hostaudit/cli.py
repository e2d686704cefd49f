"""The `hostaudit` command line: parse options, call the engine, render, choose the exit code.

The parser is the standard library's argparse: `--help`, `--version` and a usage error import nothing else, and each
command imports what it needs inside its function (tests/unit/test_cli_imports.py holds that line).
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn

from hostaudit.options import COLLECTOR_SHARE, DEADLINE, Format, RestartMethod
from hostaudit.severity import Severity

if TYPE_CHECKING:
    from pathlib import Path

SEVERITIES = tuple(severity.value for severity in Severity)  # --fail-on's choices, worst first
FORMATS = tuple(fmt.value for fmt in Format)
RESTART_METHODS = tuple(method.value for method in RestartMethod)


def _fail(message: str) -> SystemExit:
    """Print one line for a usage error or bad input; the caller raises the returned exit 2."""
    from hostaudit.sanitize import terminal as clean

    print(f"hostaudit: {clean(message)}", file=sys.stderr)
    return SystemExit(2)


class _Parser(argparse.ArgumentParser):
    """argparse whose usage errors are one line and exit 2 (argparse itself prints the usage block first)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(allow_abbrev=False, **kwargs)  # `--form` is not `--format`: no guessing at prefixes

    def error(self, message: str) -> NoReturn:
        raise _fail(f"{message} (see '{self.prog} --help')")


def _path(text: str) -> Path:
    from pathlib import Path

    return Path(text)


MAX_TIMEOUT = 600.0  # seconds per Docker API call; 1e10 overflowed the socket layer (a traceback)
MAX_DEADLINE = 86400.0  # seconds of a whole collection: a day


def _seconds(low: float, high: float) -> Callable[[str], float]:
    """An argparse type: a number of seconds from `low` to `high`; anything else (nan, inf, 1e10) one clear line."""
    def seconds(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
        if not (math.isfinite(value) and low <= value <= high):
            raise argparse.ArgumentTypeError(f"must be from {low:g} to {high:g} seconds, not {text!r}")
        return value

    return seconds


def _directory(text: str) -> Path:
    if not os.path.exists(text):
        raise argparse.ArgumentTypeError(f"directory {text!r} does not exist")
    if not os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a directory")
    return _path(text)


def _snapshot(facts: Path | None, docker_host: str | None, timeout: float, containerd_state: list[str] | None,
              quiet: bool, podman_root: list[str] | None, host_root: Path, cri_endpoint: str | None,
              deadline: float):
    from hostaudit import engine
    from hostaudit.collectors import CollectContext
    from hostaudit.collectors._fs import host_isdir, use_host_root
    from hostaudit.collectors.containerd import TASKS

    if facts is not None:
        try:
            return engine.load_snapshot(facts)
        except ValueError as exc:
            raise _fail(str(exc)) from exc
    use_host_root(str(host_root))
    for state_dir in containerd_state or ():
        if not host_isdir(os.path.join(state_dir, TASKS)):
            raise _fail(f"--containerd-state {state_dir}: no {TASKS} directory there, so not a containerd state "
                        "directory (containerd's --state, default /run/containerd)")
    ctx = CollectContext(docker_host=docker_host, docker_timeout=timeout,
                         containerd_state_dirs=tuple(containerd_state or ()), podman_roots=tuple(podman_root or ()),
                         host_root=str(host_root), cri_endpoint=cri_endpoint)
    show = sys.stderr.isatty() and not quiet
    return engine.collect(ctx, progress=(lambda msg: print(f"… {msg}", file=sys.stderr, flush=True)) if show else None,
                          deadline=deadline)


def _baseline(path: Path):
    from hostaudit.baseline import parse
    from hostaudit.inputs import load_json

    try:
        return parse(load_json(path, "--baseline"))
    except ValueError as exc:
        raise _fail(str(exc) if str(exc).startswith("--baseline") else f"--baseline {path}: {exc}") from exc


def _selected(check: list[str] | None) -> tuple[str, ...]:
    from hostaudit import catalog

    known = catalog.load()
    unknown = [c for c in check or () if c not in known]
    if unknown:
        raise _fail(f"unknown check id(s): {', '.join(unknown)} (see 'hostaudit checks list')")
    return tuple(check or ())


def _waivers(path: Path | None) -> tuple[tuple, tuple[str, ...]]:
    """The waivers to apply and a note for each default waiver file refused as untrusted (printed on stderr). An
    explicit --waivers FILE that is untrusted, malformed or unreadable is exit 2: the sysadmin asked for it."""
    from hostaudit import catalog
    from hostaudit import waivers as waiving
    from hostaudit.sanitize import terminal as clean

    try:
        if path is not None:
            return waiving.load_trusted(path, catalog.load()), ()
        accepted, refused = waiving.discover(catalog.load())
    except waiving.WaiverError as exc:
        raise _fail(str(exc)) from exc
    for note in refused:
        print(f"hostaudit: {clean(note)}", file=sys.stderr)
    return accepted, refused


def audit(facts: Path | None, fmt: str, output: Path | None, fail_on: str | None, check: list[str] | None,
          docker_host: str | None, timeout: float, containerd_state: list[str] | None,
          podman_root: list[str] | None, host_root: Path, cri_endpoint: str | None, deadline: float, verbose: bool,
          baseline: Path | None, fail_on_new: str | None, prometheus: Path | None, waivers: Path | None) -> int:
    """Audit this host (or a saved snapshot) and report."""
    import dataclasses
    import time

    from hostaudit import engine, renderers
    from hostaudit import output as out

    started = time.monotonic()
    only = _selected(check)
    if fail_on_new is not None and baseline is None:
        raise _fail("--fail-on-new needs --baseline (a previous JSON report)")
    previous = _baseline(baseline) if baseline is not None else None
    accepted, refused = _waivers(waivers)
    snapshot = _snapshot(facts, docker_host, timeout, containerd_state, quiet=fmt != Format.text,
                         podman_root=podman_root, host_root=host_root, cri_endpoint=cri_endpoint, deadline=deadline)
    report = engine.audit(snapshot, only, accepted)
    report = dataclasses.replace(report, notes=(*report.notes, *refused),
                                 duration_s=round(time.monotonic() - started, 3))
    if previous is not None:
        from hostaudit.baseline import compare

        report = compare(report, previous)
    options = {"color": output is None and sys.stdout.isatty(), "verbose": verbose} if fmt == Format.text else {}
    out.write(renderers.render_stream(report, fmt, **options), output)
    if prometheus is not None:
        # counts only, no names: world-readable so a node_exporter running as its own user can read it
        out.write(renderers.render(report, "prometheus"), prometheus, mode=0o644)
    return max(report.exit_code(Severity(fail_on) if fail_on else None),
               report.exit_code(Severity(fail_on_new) if fail_on_new else None, new_only=True))


def collect(out_path: Path | None, docker_host: str | None, timeout: float, containerd_state: list[str] | None,
            podman_root: list[str] | None, host_root: Path, cri_endpoint: str | None, deadline: float) -> None:
    """Collect the facts of this host into a JSON snapshot, for 'audit --facts' elsewhere or later."""
    from hostaudit import engine
    from hostaudit import output as out

    snapshot = _snapshot(None, docker_host, timeout, containerd_state, quiet=False, podman_root=podman_root,
                         host_root=host_root, cri_endpoint=cri_endpoint, deadline=deadline)
    out.write(engine.snapshot_to_json(snapshot) + "\n", out_path)


def checks_list(cis: bool) -> None:
    """List every check: id, severity, CIS ids and title (with --cis: the checks that map to CIS ids, by id)."""
    from hostaudit import catalog

    rows = [c.meta for c in catalog.load().values()]
    if cis:
        def cis_order(meta: catalog.CheckMeta) -> tuple[list[int], str]:
            return min([int(p) for p in number.split(".")] for number in meta.cis), meta.id

        rows = sorted((m for m in rows if m.cis), key=cis_order)
    width = max((len(m.id) for m in rows), default=0)
    for meta in rows:
        mark = " (manual)" if meta.manual else ""
        print(f"{meta.id:{width}} {meta.severity.value:9} {','.join(meta.cis):12} {meta.title}{mark}")


def checks_explain(check_id: str) -> None:
    """Show one check's metadata: why it matters and how to fix it."""
    from hostaudit import catalog

    found = catalog.load().get(check_id)
    if found is None:
        raise _fail(f"unknown check id: {check_id} (see 'hostaudit checks list')")
    meta = found.meta
    for label, value in (("id", meta.id), ("title", meta.title), ("severity", meta.severity.value),
                         ("scope", meta.scope.value), ("cis", ", ".join(meta.cis) or "-"),
                         ("references", ", ".join(meta.references) or "-"), ("needs", ", ".join(meta.needs)),
                         ("ansible key", meta.ansible_key or "-"), ("rationale", meta.rationale),
                         ("remediation", meta.remediation)):
        print(f"{label:12} {value}")


def schema() -> None:
    """Print the JSON Schema of the JSON report."""
    from importlib import resources

    print((resources.files("hostaudit") / "schemas" / "report.schema.json").read_text(encoding="utf-8"), end="")


def install_cron(systemd: bool, dry_run: bool, path: Path, report_dir: str, at: str, prometheus: str | None) -> None:
    """Schedule a nightly audit whose report uses the previous night's report as its baseline."""
    from hostaudit import output as out
    from hostaudit import schedule

    try:
        nightly = schedule.Nightly(program=schedule.installed_program(sys.executable, sys.argv[0]),
                                   report_dir=report_dir, at=at, prometheus=prometheus)
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    refused = (schedule.untrusted_reason(nightly.program, directory=False)
               or schedule.untrusted_reason(report_dir, directory=True))
    if refused:
        raise _fail(f"refusing to schedule a root job: {refused}")
    if systemd:
        for name, text in schedule.systemd_units(nightly).items():
            print(f"# /etc/systemd/system/{name}\n{text}")
        print("# then: systemctl daemon-reload && systemctl enable --now hostaudit.timer")
        return
    text = schedule.cron_file(nightly)
    if dry_run:
        print(f"# would write {path}:\n{text}", end="")
        return
    os.makedirs(report_dir, mode=0o700, exist_ok=True)
    out.write(text, path)
    print(f"wrote {path}: nightly at {at}, reports in {report_dir} (root's, mode 0700)")


def remediate(report_path: Path, out_path: Path, daemon_json: str | None, restart_method: str | None,
              restart_command: str | None, reload_command: str | None, docker_host: str | None, hosts: str,
              role: str | None, allow_disruptive: bool, var: list[str] | None) -> None:
    """Write an Ansible playbook that fixes the failed host and daemon checks, and per-container guidance."""
    from hostaudit import output as out
    from hostaudit import remediation

    if restart_method == RestartMethod.command and not restart_command:
        raise _fail("--restart-method command needs --restart-command")
    variables = dict(item.partition("=")[::2] for item in var or ())
    if any("=" not in item for item in var or ()):
        raise _fail("--var takes NAME=VALUE")
    unknown = remediation.unknown_variables(variables)
    if unknown:
        raise _fail(f"unknown role variable(s): {', '.join(unknown)}")
    try:
        report = remediation.load_report(report_path)
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    options = remediation.PlaybookOptions(
        daemon_json=daemon_json, restart_method=restart_method, restart_command=restart_command,
        reload_command=reload_command, docker_host=docker_host, hosts=hosts, role=role,
        allow_disruptive=allow_disruptive, variables=variables)
    result = remediation.remediate(report, options)
    containers_path, pods_path = remediation.companion_paths(out_path)
    out.write(result.playbook, out_path)
    out.write(result.containers, containers_path)
    out.write(result.pods, pods_path)
    if role is None:
        remediation.copy_role(out_path)
    on = [d.label for d in result.decisions if d.enabled]
    print(f"wrote {out_path}: {', '.join(on) or 'no host or daemon key to fix'}", file=sys.stderr)
    for decision in result.decisions:
        if not decision.enabled:
            print(f"  left off {decision.label!r}: {decision.reason}", file=sys.stderr)
    for refused in result.refused:
        print(f"  refused from the report: {refused}", file=sys.stderr)
    print(f"wrote {containers_path}: {result.container_count} container(s); {pods_path}: "
          f"{result.pod_count} pod(s)", file=sys.stderr)


def fleet(reports: list[Path] | None, html: Path | None, json_out: Path | None, not_audited: list[str] | None) -> int:
    """Merge per-host JSON reports into one fleet JSON and HTML."""
    from hostaudit import fleet as fleet_report
    from hostaudit import output as out

    if any("=" not in item for item in not_audited or ()):
        raise _fail("--not-audited takes HOST=REASON")
    if not reports and not not_audited:
        raise _fail("give at least one report (or --not-audited)")
    missing = dict(item.partition("=")[::2] for item in not_audited or ())
    merged = fleet_report.merge(reports or [], missing)
    if html is not None:
        out.write(fleet_report.render_html(merged), html)
    if json_out is not None or html is None:
        out.write(fleet_report.render_json(merged), json_out)
    from hostaudit.sanitize import terminal

    summary = merged["summary"]
    print(f"fleet: {summary['hosts']} hosts, {summary['hosts_failing']} failing, {summary['hosts_in_error']} "
          f"not audited, {summary['escapable_containers']} escapable containers", file=sys.stderr)
    for host in merged["hosts"]:
        if host["error"]:  # the name and the reason come from the host's report: no escape reaches the terminal
            print(f"  not audited: {terminal(host['name'], 200)}: {terminal(host['error'], 500)}", file=sys.stderr)
    return 1 if summary["hosts_in_error"] else 0


def version() -> None:
    """Print the hostaudit version and how old its CVE data is today."""
    import datetime as dt

    from hostaudit import __version__, cves

    print(__version__)
    print(cves.data_age(dt.datetime.now(dt.UTC).isoformat(), cves.reviewed_through()).note)


def _collection_options(parser: argparse.ArgumentParser) -> None:
    """The options of `audit` and `collect` that say where the host's facts are read from."""
    parser.add_argument("--docker-host", metavar="URL",
                        help="Docker API URL (default: $DOCKER_HOST or unix:///var/run/docker.sock).")
    parser.add_argument("--timeout", type=_seconds(0.1, MAX_TIMEOUT), default=5.0, metavar="SECONDS",
                        help=f"Seconds to wait for the Docker API, from 0.1 to {MAX_TIMEOUT:g} (default: 5.0).")
    parser.add_argument("--containerd-state", action="append", metavar="DIR",
                        help="containerd state dir to read tasks from (repeatable; default: discovered).")
    parser.add_argument("--podman-root", action="append", metavar="DIR",
                        help="libpod storage root to read containers from (repeatable; default: "
                        "/var/lib/containers/storage and each user's ~/.local/share/containers/storage).")
    parser.add_argument("--host-root", type=_directory, default="/", metavar="DIR",
                        help="Read the host through this directory, where its / is mounted (auditing from a "
                        "container: docker run --pid=host -v /:/host:ro ...; --host-root /host) (default: /).")
    parser.add_argument("--cri-endpoint", metavar="SOCKET",
                        help="CRI runtime socket (unix:///run/containerd/containerd.sock, /var/run/crio/crio.sock; "
                        "default: the kubelet's --container-runtime-endpoint, else containerd's config, else "
                        "CRI-O's).")
    parser.add_argument("--deadline", type=_seconds(1.0, MAX_DEADLINE), default=DEADLINE, metavar="SECONDS",
                        help=f"Seconds the whole collection may take (default: {DEADLINE:g}); one source gets at "
                        f"most {COLLECTOR_SHARE:.0%}% of it, and one past its time is reported as timed out, its "
                        "checks unknown.")


def _command(commands: argparse._SubParsersAction, name: str, run: Callable[..., int | None], summary: str,
             description: str | None = None) -> argparse.ArgumentParser:
    parser = commands.add_parser(name, help=summary, description=description or summary)
    parser.set_defaults(run=run, parser=parser)
    return parser


def parser() -> argparse.ArgumentParser:
    """The whole command line; building it imports nothing beyond argparse."""
    from hostaudit import __version__

    top = _Parser(prog="hostaudit", description="Audit container-runtime hardening and container-escape "
                  "preconditions on this host.")
    top.add_argument("--version", action="version", version=__version__,
                     help="Print the hostaudit version and exit.")
    commands = top.add_subparsers(title="commands", metavar="COMMAND")

    auditing = _command(commands, "audit", audit, "Audit this host (or a saved snapshot) and report.",
                        "Audit this host (or a saved snapshot) and report. Exit 0 clean, 1 findings at --fail-on, "
                        "2 usage or bad input, 3 I/O error.")
    auditing.add_argument("--facts", type=_path, metavar="PATH", help="Evaluate a snapshot saved by 'collect'.")
    auditing.add_argument("-f", "--format", dest="fmt", choices=FORMATS, default=Format.text.value,
                          metavar="FORMAT", help=f"Report format: {', '.join(FORMATS)} (default: text).")
    auditing.add_argument("-o", "--output", type=_path, metavar="PATH", help="Write the report here (mode 0600).")
    auditing.add_argument("--fail-on", choices=SEVERITIES, metavar="SEVERITY", help="Exit 1 when a failing finding "
                          f"reaches this severity: {', '.join(SEVERITIES)}.")
    auditing.add_argument("--check", action="append", metavar="ID", help="Run only this check id (repeatable).")
    _collection_options(auditing)
    auditing.add_argument("-v", "--verbose", action="store_true", help="Also list unknown results.")
    auditing.add_argument("--baseline", type=_path, metavar="PATH", help="A previous JSON report: mark failures new "
                          "or unchanged, list the resolved ones.")
    auditing.add_argument("--fail-on-new", choices=SEVERITIES, metavar="SEVERITY", help="Exit 1 when a failure "
                          "that is new since --baseline reaches this severity.")
    auditing.add_argument("--prometheus", type=_path, metavar="PATH", help="Also write a node_exporter textfile here "
                          "(mode 0644: counts only, for a node_exporter running as its own user).")
    auditing.add_argument("--waivers", type=_path, metavar="PATH", help="Waiver file (TOML; default: "
                          "./hostaudit.toml or /etc/hostaudit/waivers.toml when present). Read only when root owns "
                          "it and every directory above it and nobody else can write them.")

    gather = _command(commands, "collect", collect, "Collect the facts of this host into a JSON snapshot, for "
                      "'audit --facts' elsewhere or later.")
    gather.add_argument("-o", "--out", dest="out_path", type=_path, metavar="PATH",
                        help="Write the snapshot here (default: stdout).")
    _collection_options(gather)

    _command(commands, "schema", schema, "Print the JSON Schema of the JSON report.")

    cron = _command(commands, "install-cron", install_cron, "Schedule a nightly audit whose report uses the previous "
                    "night's report as its baseline.")
    cron.add_argument("--systemd", action="store_true", help="Print a systemd service and timer instead of writing "
                      "a cron.d file.")
    cron.add_argument("--dry-run", action="store_true", help="Print what would be written, write nothing.")
    cron.add_argument("--path", type=_path, default="/etc/cron.d/hostaudit", metavar="PATH",
                      help="The cron.d file to write (default: /etc/cron.d/hostaudit).")
    cron.add_argument("--report-dir", default="/var/lib/hostaudit", metavar="DIR", help="Where the nightly "
                      "report.json and previous.json are kept (default: /var/lib/hostaudit).")
    cron.add_argument("--at", default="03:17", metavar="HH:MM", help="Time of day, HH:MM (default: 03:17).")
    cron.add_argument("--prometheus", metavar="PATH", help="Also write this node_exporter textfile each night.")

    fix = _command(commands, "remediate", remediate, "Write an Ansible playbook that fixes the failed host and "
                   "daemon checks, and per-container guidance.")
    fix.add_argument("--from", dest="report_path", type=_path, required=True, metavar="PATH",
                     help="A report from 'hostaudit audit --format json'.")
    fix.add_argument("-o", "--out", dest="out_path", type=_path, required=True, metavar="PATH",
                     help="Write the playbook here; the container guidance goes beside it (NAME.containers.yml, "
                     "NAME.pods.yml).")
    fix.add_argument("--daemon-json", metavar="PATH", help="daemon.json path on the target (default "
                     "/etc/docker/daemon.json).")
    fix.add_argument("--restart-method", choices=RESTART_METHODS, metavar="METHOD", help="How dockerd is "
                     f"restarted: {', '.join(RESTART_METHODS)} (default systemd).")
    fix.add_argument("--restart-command", metavar="CMD", help="Shell command that restarts dockerd (hosts without "
                     "systemd).")
    fix.add_argument("--reload-command", metavar="CMD", help="Shell command that makes dockerd re-read its "
                     "configuration (SIGHUP).")
    fix.add_argument("--docker-host", metavar="URL", help="Docker API URL on the target.")
    fix.add_argument("--hosts", default="all", metavar="PATTERN", help="The play's hosts pattern (default: all).")
    fix.add_argument("--role", metavar="NAME", help="Role name or path (default: the installed role).")
    fix.add_argument("--allow-disruptive", action="store_true", help="Also turn on userns_remap and cgroup_parent "
                     "when they failed.")
    fix.add_argument("--var", action="append", metavar="NAME=VALUE", help="Role variable NAME=VALUE (repeatable), "
                     "e.g. container_hardening_tls_verify_cacert=/etc/docker/ca.pem.")

    merge = _command(commands, "fleet", fleet, "Merge per-host JSON reports into one fleet JSON and HTML.",
                     "Merge per-host JSON reports into one fleet JSON and HTML: hosts x checks, worst hosts first. "
                     "Exits 1 when a host is not audited (no report, an invalid one, or its Docker endpoint could "
                     "not be read).")
    merge.add_argument("reports", nargs="*", type=_path, default=None, metavar="REPORT",
                       help="JSON reports, one per host.")
    merge.add_argument("--html", type=_path, metavar="PATH", help="Write the fleet HTML here (mode 0600).")
    merge.add_argument("--json", dest="json_out", type=_path, metavar="PATH",
                       help="Write the fleet JSON here (default: stdout).")
    merge.add_argument("--not-audited", action="append", metavar="HOST=REASON",
                       help="HOST=REASON for a host that has no report this run (repeatable).")

    _command(commands, "version", version, "Print the hostaudit version and the date of its CVE data.")

    catalog = _command(commands, "checks", None, "Show the check catalog.")
    about = catalog.add_subparsers(title="commands", metavar="COMMAND")
    listing = _command(about, "list", checks_list, "List every check: id, severity, CIS ids and title (with --cis: "
                       "the checks that map to CIS ids, by id).")
    listing.add_argument("--cis", action="store_true", help="Order by CIS Docker Benchmark id.")
    explain = _command(about, "explain", checks_explain, "Show one check's metadata: why it matters and how to fix it.")
    explain.add_argument("check_id", metavar="CHECK_ID", help="A check id, e.g. container.privileged")
    return top


def run(argv: list[str]) -> int:
    """Parse `argv` (without the program name) and run its command; returns the exit code."""
    top = parser()
    values, extra = top.parse_known_args(argv)
    arguments = vars(values)
    command, chosen = arguments.pop("run", None), arguments.pop("parser", top)
    if extra and command is fleet and not any(item.startswith("-") for item in extra):
        # argparse leaves reports given after an option (`fleet a.json --html f.html b.json`) unmatched
        arguments["reports"] = [*(arguments["reports"] or ()), *map(_path, extra)]
    elif extra:
        chosen.error(f"unrecognized arguments: {' '.join(extra)}")
    if command is None:  # no command (or `checks` alone): the help, as a usage error
        chosen.print_help(sys.stderr)
        return 2
    return command(**arguments) or 0


def _io_error(exc: OSError) -> str:
    """One line for an I/O failure: the path (when known) and the system's reason."""
    from hostaudit.sanitize import terminal as clean

    where = f"{exc.filename}: " if exc.filename else ""
    return f"hostaudit: I/O error: {clean(where)}{exc.strerror or clean(str(exc))}"


def main() -> None:
    """The console script: exit 3 with one line on any I/O error (missing directory, read-only or full disk)."""
    # An audit builds objects that nearly all live to its end, in trees (JSON values, frozen dataclasses) that
    # reference counting frees: the cyclic collector only traversed them again and again (0.09 s of a
    # 1000-container audit even with thresholds of 50,000; 6-12 % of its CPU with the defaults), same peak RSS.
    gc.disable()
    try:
        code = run(sys.argv[1:])
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError as exc:
        # the reader left (`hostaudit audit | head -c 10`, or a FIFO --output's): the output is incomplete, an I/O
        # error like a full disk; stdout goes to /dev/null so that the interpreter's exit does not try it again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        print(_io_error(exc) if exc.filename else "hostaudit: I/O error: stdout: the reader closed the pipe before "
              "the output was complete", file=sys.stderr, flush=True)
        code = 3
    except OSError as exc:
        print(_io_error(exc), file=sys.stderr, flush=True)
        code = 3
    except KeyboardInterrupt:
        print("hostaudit: aborted", file=sys.stderr, flush=True)
        code = 1
    # Done: every file is written and closed, the output flushed. A collector left past its deadline may still run
    # in a thread, and the interpreter's exit would wait for the workers of its pool: the process ends them at once,
    # on an error too. The interpreter's exit would also free the audit's objects one by one (over a million at 1000
    # containers: 0.15-0.3 s of teardown for nothing); the kernel takes them back at once.
    os._exit(code)
