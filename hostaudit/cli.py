"""The `hostaudit` command line: parse options, call the engine, render, choose the exit code.

The parser is typer (on the click it vendors), with shell completion (`--install-completion`, check ids for `--check`
and `checks explain`). `--version` and a usage error load typer and nothing of the engine: each command imports what
it needs inside its function (tests/unit/test_cli_imports.py holds that line); `--help` is mostly answered from the
pages typer rendered at build time (`hostaudit.console`). A usage error is one line and exit 2 (`run` formats click's
errors), never click's usage block.
"""

import gc
import math
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from typer._click import exceptions as errors  # the click typer vendors (typer exports only some of it)
from typer.core import TyperCommand, TyperGroup

from hostaudit.options import COLLECTOR_SHARE, DEADLINE, Format, RestartMethod
from hostaudit.severity import Severity

SEVERITIES = tuple(severity.value for severity in Severity)  # --fail-on's choices, worst first


class _ParsedInContext:
    """Usage errors name the command they come from: click's parser raises some (`-f` without its value) without
    their context, which `_usage_line` needs to name the option in full and point at that command's --help."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except errors.UsageError as exc:
            exc.ctx = exc.ctx or ctx
            raise


class _Command(_ParsedInContext, TyperCommand):
    pass


class _Group(_ParsedInContext, TyperGroup):
    pass


def _command(group: typer.Typer, name: str | None = None, *, example: str) -> Callable:
    """Register a command (one function each) with an example of its use under its help."""
    return group.command(name, cls=_Command, epilog=f"\b\nExample: {example}")  # \b: kept unwrapped


# plain click help: rich's formatter would load rich on every --help (see benchmarks/ and the README's scale table)
HELP_MARKUP = None
app = typer.Typer(name="hostaudit", cls=_Group, no_args_is_help=True, rich_markup_mode=HELP_MARKUP,
                  help="Audit container-runtime hardening and container-escape preconditions on this host.",
                  epilog="Example: hostaudit audit --fail-on high")
checks_app = typer.Typer(cls=_Group, no_args_is_help=True, rich_markup_mode=HELP_MARKUP, help="Show the check catalog.",
                         epilog="Example: hostaudit checks explain container.privileged")
app.add_typer(checks_app, name="checks")


def _fail(message: str) -> SystemExit:
    """Print one line for a usage error or bad input; the caller raises the returned exit 2."""
    from hostaudit.sanitize import terminal as clean

    print(f"hostaudit: {clean(message)}", file=sys.stderr)
    return SystemExit(2)


def _check_ids(incomplete: str) -> list[tuple[str, str]]:
    """Shell completion of a check id: the catalog's ids that start with what was typed, with their titles."""
    from hostaudit import catalog

    return [(check_id, check.meta.title) for check_id, check in sorted(catalog.load().items())
            if check_id.startswith(incomplete)]


MAX_TIMEOUT = 600.0  # seconds per Docker API call; 1e10 overflowed the socket layer (a traceback)
MAX_DEADLINE = 86400.0  # seconds of a whole collection: a day
MIN_ROTATE_BYTES = 2**16  # --output-max-bytes: room for the longest line the watch writes


def _seconds(low: float, high: float) -> Callable[[str | float], float]:
    """An option's parser: a number of seconds from `low` to `high`; anything else (nan, inf, 1e10) one clear line."""
    def seconds(text: str | float) -> float:
        try:
            value = float(text)
        except ValueError:
            raise typer.BadParameter(f"not a number of seconds: {text!r}") from None
        if not (math.isfinite(value) and low <= value <= high):
            raise typer.BadParameter(f"must be from {low:g} to {high:g} seconds, not {text!r}")
        return value

    return seconds


def _directory(text: str | Path) -> Path:
    """An option's parser: an existing directory."""
    if not os.path.exists(text):
        raise typer.BadParameter(f"directory {str(text)!r} does not exist")
    if not os.path.isdir(text):
        raise typer.BadParameter(f"{str(text)!r} is not a directory")
    return Path(text)


# The options of `audit` and `collect` that say where the host's facts are read from.
DockerHost = Annotated[str | None, typer.Option(
    "--docker-host", metavar="URL", help="Docker API URL (default: $DOCKER_HOST or unix:///var/run/docker.sock).")]
Timeout = Annotated[float, typer.Option(
    "--timeout", parser=_seconds(0.1, MAX_TIMEOUT), metavar="SECONDS", show_default=False,
    help=f"Seconds to wait for the Docker API, from 0.1 to {MAX_TIMEOUT:g} (default: 5.0).")]
ContainerdState = Annotated[list[str] | None, typer.Option(
    "--containerd-state", metavar="DIR",
    help="containerd state dir to read tasks from (repeatable; default: discovered).")]
PodmanRoot = Annotated[list[str] | None, typer.Option(
    "--podman-root", metavar="DIR", help="libpod storage root to read containers from (repeatable; default: "
    "/var/lib/containers/storage and each user's ~/.local/share/containers/storage).")]
HostRoot = Annotated[Path, typer.Option(
    "--host-root", parser=_directory, metavar="DIR", show_default=False,
    help="Read the host through this directory, where its / is mounted (auditing from a container: docker run "
    "--pid=host -v /:/host:ro ...; --host-root /host) (default: /).")]
CriEndpoint = Annotated[str | None, typer.Option(
    "--cri-endpoint", metavar="SOCKET", help="CRI runtime socket (unix:///run/containerd/containerd.sock, "
    "/var/run/crio/crio.sock; default: the kubelet's --container-runtime-endpoint, else containerd's config, else "
    "CRI-O's).")]
Deadline = Annotated[float, typer.Option(
    "--deadline", parser=_seconds(1.0, MAX_DEADLINE), metavar="SECONDS", show_default=False,
    help=f"Seconds the whole collection may take (default: {DEADLINE:g}); one source gets at most "
    f"{COLLECTOR_SHARE:.0%} of it, and one past its time is reported as timed out, its checks unknown.")]
HOST_ROOT = Path("/")  # --host-root's default


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


def _print_version(given: bool) -> None:
    """--version: print the version and end, before any command is looked for."""
    if given:
        from hostaudit import __version__

        print(__version__)
        raise typer.Exit(0)


@app.callback()
def _top(version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                               help="Print the hostaudit version and exit.")] = False) -> None:
    """Audit container-runtime hardening and container-escape preconditions on this host."""


@_command(app, example="hostaudit audit --format html -o report.html --fail-on high")
def audit(
    facts: Annotated[Path | None, typer.Option("--facts", metavar="PATH",
                                               help="Evaluate a snapshot saved by 'collect'.")] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", metavar="FORMAT", show_default=False,
                                        help=f"Report format: {', '.join(Format)} (default: text).")] = Format.text,
    output: Annotated[Path | None, typer.Option("--output", "-o", metavar="PATH",
                                                help="Write the report here (mode 0600).")] = None,
    fail_on: Annotated[Severity | None, typer.Option(
        "--fail-on", metavar="SEVERITY",
        help=f"Exit 1 when a failing finding reaches this severity: {', '.join(SEVERITIES)}.")] = None,
    check: Annotated[list[str] | None, typer.Option("--check", metavar="ID", autocompletion=_check_ids,
                                                    help="Run only this check id (repeatable).")] = None,
    docker_host: DockerHost = None,
    timeout: Timeout = 5.0,
    containerd_state: ContainerdState = None,
    podman_root: PodmanRoot = None,
    host_root: HostRoot = HOST_ROOT,
    cri_endpoint: CriEndpoint = None,
    deadline: Deadline = DEADLINE,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Also list unknown results.")] = False,
    baseline: Annotated[Path | None, typer.Option("--baseline", metavar="PATH", help="A previous JSON report: mark "
                                                  "failures new or unchanged, list the resolved ones.")] = None,
    fail_on_new: Annotated[Severity | None, typer.Option(
        "--fail-on-new", metavar="SEVERITY",
        help="Exit 1 when a failure that is new since --baseline reaches this severity.")] = None,
    prometheus: Annotated[Path | None, typer.Option(
        "--prometheus", metavar="PATH", help="Also write a node_exporter textfile here (mode 0644: counts only, for "
        "a node_exporter running as its own user).")] = None,
    waivers: Annotated[Path | None, typer.Option(
        "--waivers", metavar="PATH", help="Waiver file (TOML; default: ./hostaudit.toml or /etc/hostaudit/waivers.toml "
        "when present). Read only when root owns it and every directory above it and nobody else can write "
        "them.")] = None,
) -> None:
    """Audit this host (or a saved snapshot) and report. Exit 0 clean, 1 findings at --fail-on, 2 usage or bad input,
    3 I/O error."""
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
    out.write(renderers.render_stream(report, fmt.value, **options), output)
    if prometheus is not None:
        # counts only, no names: world-readable so a node_exporter running as its own user can read it
        out.write(renderers.render(report, "prometheus"), prometheus, mode=0o644)
    raise typer.Exit(max(report.exit_code(fail_on), report.exit_code(fail_on_new, new_only=True)))


@_command(app, example="hostaudit collect -o facts.json, then elsewhere: hostaudit audit --facts facts.json")
def collect(
    out_path: Annotated[Path | None, typer.Option("--out", "-o", metavar="PATH",
                                                  help="Write the snapshot here (default: stdout).")] = None,
    docker_host: DockerHost = None,
    timeout: Timeout = 5.0,
    containerd_state: ContainerdState = None,
    podman_root: PodmanRoot = None,
    host_root: HostRoot = HOST_ROOT,
    cri_endpoint: CriEndpoint = None,
    deadline: Deadline = DEADLINE,
) -> None:
    """Collect the facts of this host into a JSON snapshot, for 'audit --facts' elsewhere or later."""
    from hostaudit import engine
    from hostaudit import output as out

    snapshot = _snapshot(None, docker_host, timeout, containerd_state, quiet=False, podman_root=podman_root,
                         host_root=host_root, cri_endpoint=cri_endpoint, deadline=deadline)
    out.write(engine.snapshot_to_json(snapshot) + "\n", out_path)


@_command(checks_app, "list", example="hostaudit checks list --cis")
def checks_list(cis: Annotated[bool, typer.Option("--cis", help="Order by CIS Docker Benchmark id.")] = False) -> None:
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


@_command(checks_app, "explain", example="hostaudit checks explain container.docker_socket_mounted")
def checks_explain(check_id: Annotated[str, typer.Argument(metavar="CHECK_ID", autocompletion=_check_ids,
                                                           help="A check id, e.g. container.privileged")]) -> None:
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


@_command(app, example="hostaudit schema > report.schema.json")
def schema() -> None:
    """Print the JSON Schema of the JSON report."""
    from importlib import resources

    print((resources.files("hostaudit") / "schemas" / "report.schema.json").read_text(encoding="utf-8"), end="")


@_command(app, "install-cron", example="hostaudit install-cron --at 02:30 --prometheus "
          "/var/lib/node_exporter/hostaudit.prom")
def install_cron(
    systemd: Annotated[bool, typer.Option("--systemd", help="Print a systemd service and timer instead of writing "
                                          "a cron.d file.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print what would be written, write nothing.")] = False,
    path: Annotated[Path, typer.Option("--path", metavar="PATH", show_default=False, help="The cron.d file to write "
                                       "(default: /etc/cron.d/hostaudit).")] = Path("/etc/cron.d/hostaudit"),
    report_dir: Annotated[str, typer.Option("--report-dir", metavar="DIR", show_default=False, help="Where the "
                                            "nightly report.json and previous.json are kept (default: "
                                            "/var/lib/hostaudit).")] = "/var/lib/hostaudit",
    at: Annotated[str, typer.Option("--at", metavar="HH:MM", show_default=False,
                                    help="Time of day, HH:MM (default: 03:17).")] = "03:17",
    prometheus: Annotated[str | None, typer.Option("--prometheus", metavar="PATH", help="Also write this "
                                                   "node_exporter textfile each night.")] = None,
) -> None:
    """Schedule a nightly audit whose report uses the previous night's report as its baseline."""
    from hostaudit import output as out
    from hostaudit import schedule

    try:
        nightly = schedule.Nightly(program=schedule.installed_program(sys.executable, sys.argv[0]),
                                   report_dir=report_dir, at=at, prometheus=prometheus)
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    refused = schedule.job_code_doubt(nightly.program) or schedule.report_dir_doubt(report_dir)
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


@_command(app, example="hostaudit watch --output /var/log/hostaudit/watch.jsonl --fail-on high")
def watch(
    docker_host: Annotated[str | None, typer.Option(
        "--docker-host", metavar="URL",
        help="Follow this Docker endpoint only (default: every verified dockerd, rootful and rootless).")] = None,
    timeout: Timeout = 5.0,
    host_every: Annotated[float, typer.Option(
        "--host-every", parser=_seconds(10.0, MAX_DEADLINE), metavar="SECONDS", show_default=False,
        help="Collect the host facts again this often (default: 600), and at once when an engine restarts.")] = 600.0,
    output: Annotated[Path | None, typer.Option("--output", "-o", metavar="PATH",
                                                help="Append the lines here (mode 0600; default: stdout).")] = None,
    output_max_bytes: Annotated[int, typer.Option(
        "--output-max-bytes", min=MIN_ROTATE_BYTES, metavar="BYTES", show_default=False,
        help=f"Rotate --output to PATH.1 when it would grow past this, at least {MIN_ROTATE_BYTES} "
        "(default: 16 MiB).")] = 16 * 2**20,
    prometheus: Annotated[Path | None, typer.Option("--prometheus", metavar="PATH", help="Keep a node_exporter "
                                                    "textfile here (mode 0644: counts only).")] = None,
    fail_on: Annotated[Severity | None, typer.Option(
        "--fail-on", metavar="SEVERITY",
        help=f"Count only failing checks of this severity or worse: {', '.join(SEVERITIES)}.")] = None,
    waivers: Annotated[Path | None, typer.Option("--waivers", metavar="PATH",
                                                 help="Waiver file, as for 'audit'; SIGHUP re-reads it.")] = None,
    host_root: HostRoot = HOST_ROOT,
    deadline: Annotated[float, typer.Option(
        "--deadline", parser=_seconds(1.0, MAX_DEADLINE), metavar="SECONDS", show_default=False,
        help="Seconds one collection of the host facts may take (default: 60).")] = 60.0,
    cri_endpoint: Annotated[str | None, typer.Option("--cri-endpoint", metavar="SOCKET",
                                                     help="CRI runtime socket (default: as for 'audit').")] = None,
    cri_every: Annotated[float, typer.Option(
        "--cri-every", parser=_seconds(0.5, 3600.0), metavar="SECONDS", show_default=False,
        help="List the CRI runtime's containers this often (default: 2).")] = 2.0,
    containerd_state: ContainerdState = None,
    podman_root: PodmanRoot = None,
    podman_every: Annotated[float, typer.Option(
        "--podman-every", parser=_seconds(0.5, 3600.0), metavar="SECONDS", show_default=False,
        help="Read the libpod stores for their containers this often (default: 2).")] = 2.0,
) -> None:
    """Judge each container as its engine reports it created, started or changed, against host facts refreshed on a
    schedule; one JSON line when a container's escape verdict or failing checks change. Runs until SIGTERM (exit
    0); SIGHUP re-reads the waivers."""
    from hostaudit import watch as watching
    from hostaudit.waivers import WaiverError

    gc.enable()  # a long-lived process: its cycles must be freed (the console script turned it off for one audit)
    try:
        code = watching.run(docker_host=docker_host, timeout=timeout, host_every=host_every, output=output,
                            output_max_bytes=output_max_bytes, prometheus=prometheus, fail_on=fail_on,
                            waivers=waivers, host_root=str(host_root), deadline=deadline, cri_endpoint=cri_endpoint,
                            cri_every=cri_every, containerd_state=tuple(containerd_state or ()),
                            podman_roots=tuple(podman_root or ()), podman_every=podman_every)
    except WaiverError as exc:
        raise _fail(str(exc)) from exc
    raise typer.Exit(code)


@_command(app, "install-watch", example="hostaudit install-watch --fail-on high --dry-run")
def install_watch(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print what would be written, write nothing.")] = False,
    path: Annotated[Path, typer.Option(
        "--path", metavar="PATH", show_default=False, help="The unit file to write (default: "
        "/etc/systemd/system/hostaudit-watch.service).")] = Path("/etc/systemd/system/hostaudit-watch.service"),
    output: Annotated[str, typer.Option(
        "--output", metavar="PATH", show_default=False, help="Where the service appends its lines (default: "
        "/var/log/hostaudit/watch.jsonl).")] = "/var/log/hostaudit/watch.jsonl",
    prometheus: Annotated[str | None, typer.Option("--prometheus", metavar="PATH",
                                                   help="Also keep this node_exporter textfile.")] = None,
    fail_on: Annotated[Severity | None, typer.Option("--fail-on", metavar="SEVERITY",
                                                     help="Passed to 'watch'.")] = None,
    host_every: Annotated[float, typer.Option(
        "--host-every", parser=_seconds(10.0, MAX_DEADLINE), metavar="SECONDS", show_default=False,
        help="Passed to 'watch' (default: 600).")] = 600.0,
    docker_host: Annotated[str | None, typer.Option("--docker-host", metavar="URL",
                                                    help="Passed to 'watch': follow this endpoint only.")] = None,
) -> None:
    """Write the systemd unit that runs 'hostaudit watch' as a service (read-only file system but its output
    directories)."""
    from hostaudit import output as out
    from hostaudit import schedule, watch_unit

    try:
        service = watch_unit.WatchService(program=schedule.installed_program(sys.executable, sys.argv[0]),
                                          output=output, prometheus=prometheus,
                                          fail_on=fail_on.value if fail_on else None,
                                          host_every=host_every, docker_host=docker_host)
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    refused = schedule.job_code_doubt(service.program)
    if refused:
        raise _fail(f"refusing to install a root service: {refused}")
    text = watch_unit.unit(service)
    if dry_run:
        print(f"# would write {path}:\n{text}", end="")
        return
    out.write(text, path, mode=0o644)
    print(f"wrote {path}; then: systemctl daemon-reload && systemctl enable --now {path.name}")


@_command(app, example="hostaudit remediate --from report.json -o fix.yml && ansible-playbook --check fix.yml")
def remediate(
    report_path: Annotated[Path, typer.Option("--from", metavar="PATH", show_default=False,
                                              help="A report from 'hostaudit audit --format json'.")],
    out_path: Annotated[Path, typer.Option("--out", "-o", metavar="PATH", show_default=False, help="Write the "
                                           "playbook here; the container guidance goes beside it "
                                           "(NAME.containers.yml, NAME.pods.yml).")],
    daemon_json: Annotated[str | None, typer.Option("--daemon-json", metavar="PATH", help="daemon.json path on the "
                                                    "target (default /etc/docker/daemon.json).")] = None,
    restart_method: Annotated[RestartMethod | None, typer.Option(
        "--restart-method", metavar="METHOD",
        help=f"How dockerd is restarted: {', '.join(RestartMethod)} (default systemd).")] = None,
    restart_command: Annotated[str | None, typer.Option("--restart-command", metavar="CMD", help="Shell command that "
                                                        "restarts dockerd (hosts without systemd).")] = None,
    reload_command: Annotated[str | None, typer.Option("--reload-command", metavar="CMD", help="Shell command that "
                                                       "makes dockerd re-read its configuration (SIGHUP).")] = None,
    docker_host: Annotated[str | None, typer.Option("--docker-host", metavar="URL",
                                                    help="Docker API URL on the target.")] = None,
    hosts: Annotated[str, typer.Option("--hosts", metavar="PATTERN", show_default=False,
                                       help="The play's hosts pattern (default: all).")] = "all",
    role: Annotated[str | None, typer.Option("--role", metavar="NAME",
                                             help="Role name or path (default: the installed role).")] = None,
    allow_disruptive: Annotated[bool, typer.Option("--allow-disruptive", help="Also turn on userns_remap and "
                                                   "cgroup_parent when they failed.")] = False,
    var: Annotated[list[str] | None, typer.Option("--var", metavar="NAME=VALUE", help="Role variable NAME=VALUE "
                                                  "(repeatable), e.g. container_hardening_tls_verify_cacert="
                                                  "/etc/docker/ca.pem.")] = None,
) -> None:
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
        daemon_json=daemon_json, restart_method=restart_method.value if restart_method else None,
        restart_command=restart_command, reload_command=reload_command, docker_host=docker_host, hosts=hosts,
        role=role, allow_disruptive=allow_disruptive, variables=variables)
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


@_command(app, example="hostaudit fleet reports/*.json --html fleet.html --not-audited db3=unreachable")
def fleet(
    reports: Annotated[list[Path] | None, typer.Argument(metavar="REPORT...", show_default=False,
                                                         help="JSON reports, one per host.")] = None,
    html: Annotated[Path | None, typer.Option("--html", metavar="PATH",
                                              help="Write the fleet HTML here (mode 0600).")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", metavar="PATH",
                                                  help="Write the fleet JSON here (default: stdout).")] = None,
    not_audited: Annotated[list[str] | None, typer.Option(
        "--not-audited", metavar="HOST=REASON",
        help="HOST=REASON for a host that has no report this run (repeatable).")] = None,
) -> None:
    """Merge per-host JSON reports into one fleet JSON and HTML: hosts x checks, worst hosts first. Exits 1 when a
    host is not audited (no report, an invalid one, or its Docker endpoint could not be read)."""
    from hostaudit import fleet as fleet_report
    from hostaudit import output as out
    from hostaudit.sanitize import terminal

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
    summary = merged["summary"]
    print(f"fleet: {summary['hosts']} hosts, {summary['hosts_failing']} failing, {summary['hosts_in_error']} "
          f"not audited, {summary['escapable_containers']} escapable containers", file=sys.stderr)
    for host in merged["hosts"]:
        if host["error"]:  # the name and the reason come from the host's report: no escape reaches the terminal
            print(f"  not audited: {terminal(host['name'], 200)}: {terminal(host['error'], 500)}", file=sys.stderr)
    raise typer.Exit(1 if summary["hosts_in_error"] else 0)


@_command(app, example="hostaudit version")
def version() -> None:
    """Print the hostaudit version and the date of its CVE data."""
    import datetime as dt

    from hostaudit import __version__, cves

    print(__version__)
    print(cves.data_age(dt.datetime.now(dt.UTC).isoformat(), cves.reviewed_through()).note)


def _usage_line(exc: errors.UsageError) -> str:
    """Click's usage error as one line naming the argument (`-f/--format: ...`), and where to look next."""
    param = getattr(exc, "param", None)
    if isinstance(exc, errors.BadOptionUsage) and exc.ctx is not None:  # `-f` with no value names only `-f`
        param = next((p for p in exc.ctx.command.params if exc.option_name in p.opts), None)
    if param is not None and exc.message and not isinstance(exc, errors.MissingParameter):
        names = ("/".join(sorted(param.opts + param.secondary_opts, key=len)) if param.param_type_name == "option"
                 else param.human_readable_name)
        message = f"{names}: {exc.message}"
    else:
        message = exc.format_message()
    where = exc.ctx.command_path if exc.ctx is not None else "hostaudit"
    return f"{message} (see '{where} --help')"


def run(argv: list[str]) -> int:
    """Parse `argv` (without the program name) and run its command; returns the exit code. A shell's completion
    request (click's `_HOSTAUDIT_COMPLETE` protocol) is answered and ends the process."""
    command = typer.main.get_command(app)
    command._main_shell_completion({}, "hostaudit")  # reads $_HOSTAUDIT_COMPLETE
    try:
        with command.make_context("hostaudit", argv) as ctx:
            command.invoke(ctx)
    except errors.NoArgsIsHelpError as exc:  # no command (or `checks` alone): the help, as a usage error
        print(exc.format_message(), file=sys.stderr)
        return 2
    except errors.UsageError as exc:
        raise _fail(_usage_line(exc)) from None
    except typer.Exit as exc:
        return exc.exit_code
    return 0
