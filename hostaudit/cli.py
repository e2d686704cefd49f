"""The `hostaudit` command line: parse options, call the engine, render, choose the exit code."""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from hostaudit.options import FailOn, Format, RestartMethod
from hostaudit.sanitize import terminal as clean

# plain click help: typer's rich help formatter costs more start-up than the rest of `--help` together
app = typer.Typer(no_args_is_help=True, add_completion=False, rich_markup_mode=None,
                  help="Audit container-runtime hardening and container-escape preconditions on this host.")
checks_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="Show the check catalog.")
app.add_typer(checks_app, name="checks")

DockerHost = Annotated[str | None, typer.Option("--docker-host", help="Docker API URL (default: $DOCKER_HOST or "
                                                "unix:///var/run/docker.sock).")]
Timeout = Annotated[float, typer.Option("--timeout", help="Seconds to wait for the Docker API.", min=0.1)]
ContainerdState = Annotated[list[str] | None, typer.Option(
    "--containerd-state", help="containerd state dir to read tasks from (repeatable; default: discovered).")]
HostRoot = Annotated[Path, typer.Option(
    "--host-root", exists=True, file_okay=False, help="Read the host through this directory, where its / is mounted "
    "(auditing from a container: docker run --pid=host -v /:/host:ro ...; --host-root /host).")]
PodmanRoot = Annotated[list[str] | None, typer.Option(
    "--podman-root", help="libpod storage root to read containers from (repeatable; default: "
    "/var/lib/containers/storage and each user's ~/.local/share/containers/storage).")]

CriEndpoint = Annotated[str | None, typer.Option(
    "--cri-endpoint", help="CRI runtime socket (unix:///run/containerd/containerd.sock, /var/run/crio/crio.sock; "
    "default: the kubelet's --container-runtime-endpoint, else containerd's config, else CRI-O's).")]


def _print_version(given: bool) -> None:
    if given:
        from hostaudit import __version__

        typer.echo(__version__)
        raise typer.Exit(0)


@app.callback()
def _options(version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                                   help="Print the hostaudit version and exit.")] = False) -> None:
    """Audit container-runtime hardening and container-escape preconditions on this host."""


def _fail(message: str) -> typer.Exit:
    typer.echo(f"hostaudit: {message}", err=True)
    return typer.Exit(2)


def _snapshot(facts: Path | None, docker_host: str | None, timeout: float, containerd_state: list[str] | None,
              quiet: bool, podman_root: list[str] | None = None, host_root: Path = Path("/"),
              cri_endpoint: str | None = None):
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
    return engine.collect(ctx, progress=(lambda msg: typer.echo(f"… {msg}", err=True)) if show else None)


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


def _waivers(path: Path | None) -> tuple:
    from hostaudit import catalog
    from hostaudit import waivers as waiving

    path = path or waiving.default_path()
    if path is None:
        return ()
    try:
        return waiving.load(path, catalog.load())
    except waiving.WaiverError as exc:
        raise _fail(str(exc)) from exc


@app.command()
def audit(
    facts: Annotated[Path | None, typer.Option("--facts", help="Evaluate a snapshot saved by 'collect'.")] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Report format.")] = Format.text,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the report here (mode 0600).")] = None,
    fail_on: Annotated[FailOn | None, typer.Option("--fail-on", help="Exit 1 when a failing finding reaches "
                                                   "this severity.")] = None,
    check: Annotated[list[str] | None, typer.Option("--check", help="Run only this check id (repeatable).")] = None,
    docker_host: DockerHost = None,
    timeout: Timeout = 5.0,
    containerd_state: ContainerdState = None,
    podman_root: PodmanRoot = None,
    host_root: HostRoot = Path("/"),
    cri_endpoint: CriEndpoint = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Also list unknown results.")] = False,
    baseline: Annotated[Path | None, typer.Option("--baseline", help="A previous JSON report: mark failures new or "
                                                  "unchanged, list the resolved ones.")] = None,
    fail_on_new: Annotated[FailOn | None, typer.Option("--fail-on-new", help="Exit 1 when a failure that is new "
                                                       "since --baseline reaches this severity.")] = None,
    prometheus: Annotated[Path | None, typer.Option("--prometheus", help="Also write a node_exporter textfile here "
                                                    "(mode 0600).")] = None,
    waivers: Annotated[Path | None, typer.Option("--waivers", help="Waiver file (TOML; default: ./hostaudit.toml or "
                                                 "/etc/hostaudit/waivers.toml when present).")] = None,
) -> None:
    """Audit this host (or a saved snapshot) and report. Exit 0 clean, 1 findings at --fail-on, 2 usage or bad input,
    3 I/O error."""
    from hostaudit import engine, renderers
    from hostaudit import output as out
    from hostaudit.catalog import Severity

    started = time.monotonic()
    only = _selected(check)
    if fail_on_new is not None and baseline is None:
        raise _fail("--fail-on-new needs --baseline (a previous JSON report)")
    previous = _baseline(baseline) if baseline is not None else None
    accepted = _waivers(waivers)
    snapshot = _snapshot(facts, docker_host, timeout, containerd_state, quiet=fmt is not Format.text,
                         podman_root=podman_root, host_root=host_root, cri_endpoint=cri_endpoint)
    report = dataclasses.replace(engine.audit(snapshot, only, accepted),
                                 duration_s=round(time.monotonic() - started, 3))
    if previous is not None:
        from hostaudit.baseline import compare

        report = compare(report, previous)
    options = {"color": output is None and sys.stdout.isatty(), "verbose": verbose} if fmt is Format.text else {}
    out.write(renderers.render_stream(report, fmt.value, **options), output)
    if prometheus is not None:
        # counts only, no names: world-readable so a node_exporter running as its own user can read it
        out.write(renderers.render(report, "prometheus"), prometheus, mode=0o644)
    raise typer.Exit(max(report.exit_code(Severity(fail_on.value) if fail_on else None),
                         report.exit_code(Severity(fail_on_new.value) if fail_on_new else None, new_only=True)))


@app.command()
def collect(
    out_path: Annotated[Path | None, typer.Option("--out", "-o", help="Write the snapshot here (default: stdout).")
                        ] = None,
    docker_host: DockerHost = None,
    timeout: Timeout = 5.0,
    containerd_state: ContainerdState = None,
    podman_root: PodmanRoot = None,
    host_root: HostRoot = Path("/"),
    cri_endpoint: CriEndpoint = None,
) -> None:
    """Collect the facts of this host into a JSON snapshot, for 'audit --facts' elsewhere or later."""
    from hostaudit import engine
    from hostaudit import output as out

    snapshot = _snapshot(None, docker_host, timeout, containerd_state, quiet=False, podman_root=podman_root,
                         host_root=host_root, cri_endpoint=cri_endpoint)
    out.write(engine.snapshot_to_json(snapshot) + "\n", out_path)


@checks_app.command("list")
def checks_list(
    cis: Annotated[bool, typer.Option("--cis", help="Order by CIS Docker Benchmark id.")] = False,
) -> None:
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
        typer.echo(f"{meta.id:{width}} {meta.severity.value:9} {','.join(meta.cis):12} {meta.title}{mark}")


@checks_app.command("explain")
def checks_explain(check_id: Annotated[str, typer.Argument(help="A check id, e.g. container.privileged")]) -> None:
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
        typer.echo(f"{label:12} {value}")


@app.command()
def schema() -> None:
    """Print the JSON Schema of the JSON report."""
    from importlib import resources

    typer.echo((resources.files("hostaudit") / "schemas" / "report.schema.json").read_text(encoding="utf-8"), nl=False)


@app.command("install-cron")
def install_cron(
    systemd: Annotated[bool, typer.Option("--systemd", help="Print a systemd service and timer instead of writing "
                                          "a cron.d file.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print what would be written, write nothing.")] = False,
    path: Annotated[Path, typer.Option("--path", help="The cron.d file to write.")] = Path("/etc/cron.d/hostaudit"),
    report_dir: Annotated[str, typer.Option("--report-dir", help="Where the nightly report.json and previous.json "
                                            "are kept.")] = "/var/lib/hostaudit",
    at: Annotated[str, typer.Option("--at", help="Time of day, HH:MM.")] = "03:17",
    prometheus: Annotated[str | None, typer.Option("--prometheus", help="Also write this node_exporter textfile "
                                                   "each night.")] = None,
) -> None:
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
            typer.echo(f"# /etc/systemd/system/{name}\n{text}")
        typer.echo("# then: systemctl daemon-reload && systemctl enable --now hostaudit.timer")
        return
    text = schedule.cron_file(nightly)
    if dry_run:
        typer.echo(f"# would write {path}:\n{text}", nl=False)
        return
    os.makedirs(report_dir, mode=0o700, exist_ok=True)
    out.write(text, path)
    typer.echo(f"wrote {path}: nightly at {at}, reports in {report_dir} (root's, mode 0700)")


@app.command()
def remediate(
    report_path: Annotated[Path, typer.Option("--from", help="A report from 'hostaudit audit --format json'.")],
    out_path: Annotated[Path, typer.Option("--out", "-o", help="Write the playbook here; the container guidance "
                                           "goes beside it (NAME.containers.yml, NAME.pods.yml).")],
    daemon_json: Annotated[str | None, typer.Option("--daemon-json", help="daemon.json path on the target "
                                                    "(default /etc/docker/daemon.json).")] = None,
    restart_method: Annotated[RestartMethod | None, typer.Option("--restart-method", help="How dockerd is "
                                                                 "restarted (default systemd).")] = None,
    restart_command: Annotated[str | None, typer.Option("--restart-command", help="Shell command that restarts "
                                                        "dockerd (hosts without systemd).")] = None,
    reload_command: Annotated[str | None, typer.Option("--reload-command", help="Shell command that makes dockerd "
                                                       "re-read its configuration (SIGHUP).")] = None,
    docker_host: Annotated[str | None, typer.Option("--docker-host", help="Docker API URL on the target.")] = None,
    hosts: Annotated[str, typer.Option("--hosts", help="The play's hosts pattern.")] = "all",
    role: Annotated[str | None, typer.Option("--role", help="Role name or path (default: the installed role).")
                    ] = None,
    allow_disruptive: Annotated[bool, typer.Option("--allow-disruptive", help="Also turn on userns_remap and "
                                                   "cgroup_parent when they failed.")] = False,
    var: Annotated[list[str] | None, typer.Option("--var", help="Role variable NAME=VALUE (repeatable), e.g. "
                                                  "container_hardening_tls_verify_cacert=/etc/docker/ca.pem.")] = None,
) -> None:
    """Write an Ansible playbook that fixes the failed host and daemon checks, and per-container guidance."""
    from hostaudit import output as out
    from hostaudit import remediation

    if restart_method is RestartMethod.command and not restart_command:
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
    on = [d.key for d in result.decisions if d.enabled]
    typer.echo(f"wrote {out_path}: {', '.join(on) or 'no host or daemon key to fix'}", err=True)
    for decision in result.decisions:
        if not decision.enabled:
            typer.echo(f"  left off {decision.key!r}: {decision.reason}", err=True)
    typer.echo(f"wrote {containers_path}: {result.container_count} container(s); {pods_path}: "
               f"{result.pod_count} pod(s)", err=True)


@app.command()
def fleet(
    reports: Annotated[list[Path] | None, typer.Argument(help="JSON reports, one per host.")] = None,
    html: Annotated[Path | None, typer.Option("--html", help="Write the fleet HTML here (mode 0600).")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the fleet JSON here (default: stdout).")
                        ] = None,
    not_audited: Annotated[list[str] | None, typer.Option(
        "--not-audited", help="HOST=REASON for a host that has no report this run (repeatable).")] = None,
) -> None:
    """Merge per-host JSON reports into one fleet JSON and HTML: hosts x checks, worst hosts first. Exits 1 when a
    host is not audited (no report, an invalid one, or its Docker endpoint could not be read)."""
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
    summary = merged["summary"]
    typer.echo(f"fleet: {summary['hosts']} hosts, {summary['hosts_failing']} failing, {summary['hosts_in_error']} "
               f"not audited, {summary['escapable_containers']} escapable containers", err=True)
    for host in merged["hosts"]:
        if host["error"]:
            typer.echo(f"  not audited: {host['name']}: {host['error']}", err=True)
    if summary["hosts_in_error"]:
        raise typer.Exit(1)


@app.command()
def version() -> None:
    """Print the hostaudit version."""
    from hostaudit import __version__

    typer.echo(__version__)


def _io_error(exc: OSError) -> str:
    """One line for an I/O failure: the path (when known) and the system's reason."""
    where = f"{exc.filename}: " if exc.filename else ""
    return f"hostaudit: I/O error: {clean(where)}{exc.strerror or clean(str(exc))}"


def main() -> None:
    """The console script: exit 3 with one line on any I/O error (missing directory, read-only or full disk)."""
    try:
        app()
    except OSError as exc:
        typer.echo(_io_error(exc), err=True)
        raise SystemExit(3) from None
