"""Audit time and peak memory at 10, 100 and 1000 containers, on a private dockerd; fleet merge time.

    python -m benchmarks.run                      # 10, 100, 1000 running containers, 3 repetitions each
    python -m benchmarks.run --sizes 10,100 --repeat 5 --out /tmp/bench
    python -m benchmarks.run --sizes 40,100,1000 --docker-bench /tmp/docker-bench-security --fleet 1000

Plants busybox `sleep` containers through the Docker API (in parallel), byte-compiles hostaudit (as `pip install`
does), then times `hostaudit audit --format json --docker-host ...` under `/usr/bin/time -v`, and `hostaudit --help`
beside the interpreter's own start-up. With --docker-bench (a checkout of docker-bench-security, never part of this
repository) its container_runtime section runs on the same lab at each size up to --docker-bench-max, alternating
with hostaudit. With --fleet N, N copies of the 100-container report (one hostname each) are merged by `hostaudit
fleet`; with --fleet-report FILE too, copies of that report instead, and no lab is started (the fleet case alone).
Writes results.md and results.json, and exits 1 when a target is missed (2 when the lab cannot be set up).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tests.lab import IMAGE, PrivateDocker, exit_on_signals, lab_dir
from tests.lab import _stop as stop_process

# (what, containers, metric, limit): the audit of 100 containers under 0.6 s, of 1000 under 2.5 s and 150 MB.
TARGETS = (
    ("audit wall time", 100, "wall_s", 0.6),
    ("audit wall time", 1000, "wall_s", 2.5),
    ("audit peak RSS", 1000, "rss_mb", 150.0),
)
HELP_TARGET_S = 0.1
AGAINST_BUDGET_S = 0.05  # with --against: how much slower an audit may be than the other build's (paired median)
DOCKER_BENCH_RATIO = 50.0  # at least this many times faster than docker-bench-security's container_runtime section
FLEET_TARGETS = (("wall_s", 30.0, "s"), ("tree_rss_mb", 1024.0, "MB"))  # 1000 reports of 100 containers
PLANT_WORKERS = 8


@dataclass
class Run:
    wall_s: float
    rss_mb: float
    exit_code: int
    cpu_s: float = 0.0  # user + system: less bent than wall time by other work on a shared machine
    tree_rss_mb: float | None = None  # the largest sum over the process and its children (sampled), where measured


@dataclass
class SizeResult:
    containers: int
    running: int
    created_only: int
    audited: int  # containers the report lists
    runs: list[Run] = field(default_factory=list)
    load_1min: list[float] = field(default_factory=list)  # the machine's load average before each run
    docker_bench: list[Run] = field(default_factory=list)  # docker-bench-security container_runtime, same lab
    docker_bench_load: list[float] = field(default_factory=list)
    against: list[Run] = field(default_factory=list)  # the --against build's audits, each run right after one of ours

    @property
    def docker_bench_ratio(self) -> float | None:
        """docker-bench's median wall time over hostaudit's."""
        if not self.docker_bench:
            return None
        return statistics.median(r.wall_s for r in self.docker_bench) / self.wall_s

    @property
    def slower_than_against_s(self) -> float | None:
        """The median, over pairs, of our wall time minus the --against build's right after it."""
        if not self.against:
            return None
        return statistics.median(ours.wall_s - theirs.wall_s for ours, theirs in zip(self.runs, self.against,
                                                                                      strict=True))

    @property
    def wall_s(self) -> float:
        return statistics.median(r.wall_s for r in self.runs)

    @property
    def rss_mb(self) -> float:
        return max(r.rss_mb for r in self.runs)


def _hostaudit() -> str:
    """The console script of the Python running the benchmark (a virtual environment's own, never a global one),
    run directly: a pyenv shim would add its own start-up to every timing."""
    beside = Path(sys.executable).parent / "hostaudit"
    if beside.is_file():
        return str(beside)
    found = shutil.which("hostaudit")
    if found is None:
        raise SystemExit("hostaudit is not installed (pip install -e .)")
    if "/.pyenv/shims/" not in found:
        return found
    resolved = subprocess.run(["pyenv", "which", "hostaudit"], capture_output=True, text=True, check=False)
    return resolved.stdout.strip() if resolved.returncode == 0 and resolved.stdout.strip() else found


def compile_bytecode(python: str) -> None:
    """Byte-compile the hostaudit that `python` imports, as `pip install` does: an editable install run with
    PYTHONDONTWRITEBYTECODE set would otherwise compile its ~160 modules again in every timed run."""
    subprocess.run([python, "-c", "import compileall, hostaudit, hostaudit.checks, hostaudit.reports\n"
                    "for package in (hostaudit, hostaudit.checks, hostaudit.reports):\n"
                    "    for folder in package.__path__:\n"
                    "        compileall.compile_dir(folder, quiet=1)"], check=True,
                   cwd="/")  # not the checkout's own hostaudit/, which `-c` would import first


def plant(docker_url: str, first: int, count: int, start: bool) -> tuple[int, list[str]]:
    """Create containers bench-<first>.. in parallel; start them when `start`. Returns (started, errors)."""
    import docker

    api = docker.APIClient(base_url=docker_url, version="auto", timeout=120, max_pool_size=PLANT_WORKERS)
    host_config = api.create_host_config(network_mode="none", log_config={"Type": "none", "Config": {}})

    def one(index: int) -> tuple[bool, str | None]:
        try:
            created = api.create_container(IMAGE, command=["/bin/sleep", "86400"], name=f"bench-{index:04d}",
                                           host_config=host_config, labels={"hostaudit.bench": "1"})
            if start:
                api.start(created["Id"])
            return start, None
        except docker.errors.APIError as exc:
            return False, str(exc)

    with ThreadPoolExecutor(PLANT_WORKERS) as pool:
        outcomes = list(pool.map(one, range(first, first + count)))
    api.close()
    return sum(1 for ok, _ in outcomes if ok), [e for _, e in outcomes if e]


def teardown(docker: PrivateDocker) -> None:
    """Stop a lab of many containers quickly: dockerd stops its containers on SIGTERM (one `docker rm -f` of 1000
    outlasts any timeout); shims it leaves behind under the lab's directory are killed by pid, their init first;
    then the lab's containerd is stopped (the shims name its socket, so none can outlive it in another containerd)."""
    import psutil

    if docker.pid is not None:
        stop_process(docker.pid, timeout=120)
        docker.pid = None
    marker = f"{docker.base}/"
    containerd_pid = docker.containerd.pid if docker.containerd else None
    for proc in psutil.process_iter(["cmdline"]):
        if proc.pid != containerd_pid and any(marker in arg for arg in proc.info["cmdline"] or ()):
            with contextlib.suppress(psutil.Error):
                for child in proc.children():
                    child.kill()
                proc.kill()
    docker.stop()  # the lab's containerd (it removes any task left), then the mounts


def timed(command: list[str]) -> tuple[Run, str]:
    """Run `command` under /usr/bin/time -v: wall time, peak RSS, exit code, and its stdout."""
    done = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True, text=True, check=False)
    return parse_time(done)


def timed_tree(command: list[str]) -> Run:
    """`timed`, with the peak of the summed RSS of the process and all its children sampled every 50 ms: for a
    command that works in several processes, since /usr/bin/time reports only the largest single one."""
    import psutil

    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(["/usr/bin/time", "-v", *command], stdout=out, stderr=err, text=True)
        peak = 0
        while process.poll() is None:
            with contextlib.suppress(psutil.Error):
                tree = psutil.Process(process.pid)
                total = 0
                for member in (tree, *tree.children(recursive=True)):
                    with contextlib.suppress(psutil.Error):
                        total += member.memory_info().rss
                peak = max(peak, total)
            time.sleep(0.05)
        out.seek(0)
        err.seek(0)
        done = subprocess.CompletedProcess(command, process.returncode, out.read(), err.read())
    run, _ = parse_time(done)
    run.tree_rss_mb = round(peak / 2**20, 1)
    return run


def parse_time(done: subprocess.CompletedProcess) -> tuple[Run, str]:
    """Wall time, peak RSS and exit code from the `/usr/bin/time -v` report at the end of stderr."""
    command = done.args
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", done.stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    if not wall or not rss:
        raise RuntimeError(f"no /usr/bin/time output for {command}: {done.stderr[-2000:]}")
    hours, minutes, seconds = int(wall.group(1) or 0), int(wall.group(2)), float(wall.group(3))
    code = int(m.group(1)) if (m := re.search(r"Exit status: (\d+)", done.stderr)) else done.returncode
    cpu = sum(float(m) for m in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", done.stderr))
    return Run(round(hours * 3600 + minutes * 60 + seconds, 3), round(int(rss.group(1)) / 1024, 1), code,
               round(cpu, 3)), done.stdout


def settle(limit_s: float = 90.0) -> None:
    """Wait (up to `limit_s`) for the load that planting caused to fall below one task per CPU."""
    deadline = time.monotonic() + limit_s
    while os.getloadavg()[0] > (os.cpu_count() or 1) and time.monotonic() < deadline:
        time.sleep(5)


def audit_run(hostaudit: str, docker_url: str) -> tuple[Run, str]:
    """One timed `hostaudit audit --format json` of the lab; an exit other than 0 or 1 is a failed benchmark."""
    run, stdout = timed([hostaudit, "audit", "--format", "json", "--docker-host", docker_url])
    if run.exit_code not in (0, 1):
        raise RuntimeError(f"{hostaudit} audit exited {run.exit_code}")
    return run, stdout


def measure(hostaudit: str, docker_url: str, size: SizeResult, repeat: int, docker_bench: Path | None,
            against: str | None) -> str:
    """Audit `repeat` times, each followed by the --against build's audit and docker-bench when given; the last
    report's text."""
    stdout = ""
    for _ in range(repeat):
        size.load_1min.append(round(os.getloadavg()[0], 1))
        run, stdout = audit_run(hostaudit, docker_url)
        report = json.loads(stdout)
        size.audited = sum(1 for c in report["containers"] if c["name"].startswith("bench-"))
        size.runs.append(run)
        if against is not None:
            size.against.append(audit_run(against, docker_url)[0])
        if docker_bench is not None:
            size.docker_bench_load.append(round(os.getloadavg()[0], 1))
            size.docker_bench.append(docker_bench_run(docker_bench, docker_url))
    return stdout


def docker_bench_run(checkout: Path, docker_url: str) -> Run:
    """docker-bench-security's container_runtime section (CIS 5) on the lab, run from its checkout with `sh`."""
    with tempfile.TemporaryDirectory(prefix="hb-dbs-") as tmp:
        command = ["/usr/bin/time", "-v", "sh", "docker-bench-security.sh", "-b", "-c", "container_runtime",
                   "-l", f"{tmp}/log"]
        done = subprocess.run(command, cwd=checkout, env={**os.environ, "DOCKER_HOST": docker_url},
                              capture_output=True, text=True, check=False)
    run, _ = parse_time(done)
    return run


def fleet_run(hostaudit: str, report: str, hosts: int, base: Path) -> Run:
    """`hostaudit fleet` over `hosts` copies of `report`, each with its own hostname and file name."""
    folder = base / "fleet"
    folder.mkdir()
    head, _, rest = report.partition('"hostname": ')
    _, _, tail = rest.partition(",")
    for index in range(hosts):
        (folder / f"host-{index:04d}.json").write_text(f'{head}"hostname": "host-{index:04d}",{tail}')
    run = timed_tree([hostaudit, "fleet", *map(str, sorted(folder.iterdir())), "--json", str(base / "fleet.json"),
                      "--html", str(base / "fleet.html")])
    shutil.rmtree(folder)
    return run


def fleet_only(args: argparse.Namespace) -> int:
    """The fleet case alone, on copies of a given report: no dockerd, so no root needed."""
    if not args.fleet:
        print("--fleet-report needs --fleet N", file=sys.stderr)
        return 2
    load = round(os.getloadavg()[0], 1)
    with tempfile.TemporaryDirectory(prefix="hb-fleet-") as tmp:
        run = fleet_run(_hostaudit(), args.fleet_report.read_text(encoding="utf-8"), args.fleet, Path(tmp))
    rows = fleet_verdicts(args.fleet, run)
    args.out.mkdir(parents=True, exist_ok=True)
    table = "\n".join(["| target | value | limit | met |", "|---|---:|---:|---|",
                       *(f"| {r['target']} | {r['value']:.2f} {r['unit']} | {r['limit']} {r['unit']} | "
                         f"{'yes' if r['met'] else '**no**'} |" for r in rows),
                       "", f"- {args.fleet} copies of {args.fleet_report}; CPU (user + system) {run.cpu_s:.1f} s; "
                       f"largest single process {run.rss_mb:.0f} MB; load (1 min) before: {load}"]) + "\n"
    (args.out / "fleet.md").write_text(table)
    (args.out / "fleet.json").write_text(json.dumps({"fleet": asdict(run), "load_1min": load, "targets": rows},
                                                   indent=2) + "\n")
    print(table)
    return 0 if all(r["met"] for r in rows) else 1


def help_time(command: list[str], repeat: int) -> list[float]:
    return help_times([command], repeat)[0]


def help_times(commands: list[list[str]], repeat: int) -> list[list[float]]:
    """Wall times of each command, `repeat` rounds of all of them in turn (so that pairs share the machine's
    moment), after one round not counted."""
    times: list[list[float]] = [[] for _ in commands]
    for round_ in range(repeat + 1):
        for command, kept in zip(commands, times, strict=True):
            started = time.perf_counter()
            subprocess.run(command, capture_output=True, check=True)
            if round_:
                kept.append(round(time.perf_counter() - started, 3))
    return times


def interpreter(hostaudit: str) -> str:
    """The Python of the console script (its shebang), to time the interpreter's own start-up."""
    first = Path(hostaudit).read_text(errors="replace").splitlines()[0]
    return first.removeprefix("#!").strip() if first.startswith("#!") else sys.executable


def verdicts(sizes: list[SizeResult], help_s: float, fleet: tuple[int, Run] | None) -> list[dict]:
    by_count = {s.containers: s for s in sizes}
    rows = []
    for what, count, metric, limit in TARGETS:
        if count in by_count:
            value = getattr(by_count[count], metric)
            rows.append({"target": f"{what} at {count} containers", "value": value, "limit": f"< {limit}",
                         "unit": "s" if metric == "wall_s" else "MB", "met": value < limit})
    for s in sizes:
        if s.docker_bench_ratio is not None:
            rows.append({"target": f"times faster than docker-bench container_runtime at {s.containers} containers",
                         "value": s.docker_bench_ratio, "limit": f">= {DOCKER_BENCH_RATIO}", "unit": "x",
                         "met": s.docker_bench_ratio >= DOCKER_BENCH_RATIO})
    for s in sizes:
        if s.slower_than_against_s is not None:
            rows.append({"target": f"audit at {s.containers} containers, slower than the --against build (median "
                         "of paired wall differences)", "value": s.slower_than_against_s,
                         "limit": f"<= {AGAINST_BUDGET_S}", "unit": "s",
                         "met": s.slower_than_against_s <= AGAINST_BUDGET_S})
    rows.append({"target": "hostaudit --help wall time", "value": help_s, "limit": f"< {HELP_TARGET_S}",
                 "unit": "s", "met": help_s < HELP_TARGET_S})
    if fleet is not None:
        rows += fleet_verdicts(*fleet)
    return rows


def fleet_verdicts(hosts: int, run: Run) -> list[dict]:
    rows = []
    for metric, limit, unit in FLEET_TARGETS:
        value = getattr(run, metric)
        rows.append({"target": f"fleet merge of {hosts} reports of 100 containers ({metric})", "value": value,
                     "limit": f"< {limit}", "unit": unit, "met": value < limit and run.exit_code == 0})
    return rows


def markdown(sizes: list[SizeResult], help_times: list[float], python_times: list[float], rows: list[dict],
             notes: list[str], against: tuple[str, list[float]] | None) -> str:
    lines = ["| containers | running | created only | audited | wall s (median) | wall s (runs) | CPU s (runs) "
             "| peak RSS MB | load (1 min) | docker-bench container_runtime s (load) | ratio |",
             "|---:|---:|---:|---:|---:|---|---|---:|---|---|---:|"]
    for s in sizes:
        runs = ", ".join(f"{r.wall_s:.2f}" for r in s.runs)
        cpu = ", ".join(f"{r.cpu_s:.2f}" for r in s.runs)
        bench = ", ".join(f"{r.wall_s:.1f} ({load})" for r, load in zip(s.docker_bench, s.docker_bench_load,
                                                                       strict=True)) or "-"
        ratio = f"{s.docker_bench_ratio:.0f}x" if s.docker_bench_ratio is not None else "-"
        lines.append(f"| {s.containers} | {s.running} | {s.created_only} | {s.audited} | {s.wall_s:.2f} | {runs} "
                     f"| {cpu} | {s.rss_mb:.0f} | {', '.join(map(str, s.load_1min))} | {bench} | {ratio} |")
    lines += ["", f"`hostaudit --help`: median {statistics.median(help_times):.3f} s "
                  f"(runs: {', '.join(f'{t:.3f}' for t in help_times)}); the interpreter alone (`python -c pass`, "
                  f"site included): median {statistics.median(python_times):.3f} s", ""]
    if against is not None:
        script, times = against
        lines += [f"--against {script}, each run right after one of ours: `--help` median "
                  f"{statistics.median(times):.3f} s (runs: {', '.join(f'{t:.3f}' for t in times)})"]
        lines += [f"- audit at {s.containers}: wall s (runs) {', '.join(f'{r.wall_s:.2f}' for r in s.against)}, "
                  f"CPU s {', '.join(f'{r.cpu_s:.2f}' for r in s.against)}; ours minus theirs per pair: "
                  f"{', '.join(f'{a.wall_s - b.wall_s:+.3f}' for a, b in zip(s.runs, s.against, strict=True))} s "
                  f"wall, {', '.join(f'{a.cpu_s - b.cpu_s:+.3f}' for a, b in zip(s.runs, s.against, strict=True))} "
                  "s CPU" for s in sizes]
        lines += [""]
    lines += [
              "| target | value | limit | met |", "|---|---:|---:|---|"]
    lines += [f"| {r['target']} | {r['value']:.2f} {r['unit']} | {r['limit']} {r['unit']} | "
              f"{'yes' if r['met'] else '**no**'} |" for r in rows]
    if notes:
        lines += ["", *[f"- {n}" for n in notes]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,100,1000", help="container counts, ascending (default 10,100,1000)")
    parser.add_argument("--repeat", type=int, default=3, help="audits per size (default 3)")
    parser.add_argument("--created-only", action="store_true", help="create the containers without starting them")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"), help="directory for the results")
    parser.add_argument("--docker-bench", type=Path, help="a docker-bench-security checkout: run its "
                        "container_runtime section beside each audit")
    parser.add_argument("--docker-bench-max", type=int, default=100, help="largest size to run docker-bench at "
                        "(default 100; it takes about a second per container)")
    parser.add_argument("--fleet", type=int, default=0, help="also merge this many copies of the 100-container "
                        "report with `hostaudit fleet` (needs 100 in --sizes)")
    parser.add_argument("--against", metavar="SCRIPT", help="another build's hostaudit console script (e.g. one "
                        "installed from an earlier commit in its own virtualenv): each audit and --help of ours is "
                        f"followed by one of its; targets: at most {AGAINST_BUDGET_S:g} s slower (paired median)")
    parser.add_argument("--fleet-report", type=Path, help="with --fleet: merge copies of this JSON report instead; "
                        "no lab is started and no audit timed")
    args = parser.parse_args(argv)
    if args.fleet_report is not None:
        return fleet_only(args)
    if os.geteuid() != 0:
        print("benchmarks need root to start a private dockerd", file=sys.stderr)
        return 2
    exit_on_signals()  # SIGTERM/SIGHUP also reach the teardown below
    counts = sorted(int(c) for c in args.sizes.split(","))
    hostaudit = _hostaudit()
    compile_bytecode(interpreter(hostaudit))
    base = lab_dir("hb-")
    docker = PrivateDocker(base / "docker")
    sizes: list[SizeResult] = []
    notes: list[str] = []
    fleet: tuple[int, Run] | None = None
    running = created = 0
    try:
        docker.start()
        docker.build_image()
        for count in counts:
            missing = count - running - created
            started_at = time.perf_counter()
            started, errors = plant(docker.url, running + created, missing, start=not args.created_only)
            running += started
            created += missing - started
            planted_s = time.perf_counter() - started_at
            print(f"planted {missing} containers in {planted_s:.1f} s ({running} running)", file=sys.stderr)
            if errors:
                notes.append(f"at {count}: {len(errors)} container(s) could not be started, first error: "
                             f"{errors[0][:200]}")
            size = SizeResult(count, running, created, 0)
            settle()
            compare = args.docker_bench if args.docker_bench and count <= args.docker_bench_max else None
            report = measure(hostaudit, docker.url, size, args.repeat, compare, args.against)
            print(f"{count} containers: {[asdict(r) for r in size.runs]}", file=sys.stderr)
            sizes.append(size)
            if count == 100 and args.fleet:
                fleet = (args.fleet, fleet_run(hostaudit, report, args.fleet, base))
                print(f"fleet of {args.fleet}: {asdict(fleet[1])}", file=sys.stderr)
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 2
    finally:
        teardown(docker)
        shutil.rmtree(base, ignore_errors=True)
    helps = help_times([[hostaudit, "--help"], *([[args.against, "--help"]] if args.against else [])],
                       max(args.repeat, 5))
    python_times = help_time([interpreter(hostaudit), "-c", "pass"], max(args.repeat, 5))
    rows = verdicts(sizes, statistics.median(helps[0]), fleet)
    if args.created_only:
        notes.append("containers were created but not started: no /proc reads, no shims")
    args.out.mkdir(parents=True, exist_ok=True)
    table = markdown(sizes, helps[0], python_times, rows, notes, (args.against, helps[1]) if args.against else None)
    (args.out / "results.md").write_text(table)
    (args.out / "results.json").write_text(json.dumps({
        "machine": {"cpus": os.cpu_count(), "kernel": os.uname().release},
        "sizes": [{**asdict(s), "wall_s_median": s.wall_s, "rss_mb_max": s.rss_mb,
                   "docker_bench_ratio": s.docker_bench_ratio, "slower_than_against_s": s.slower_than_against_s}
                  for s in sizes],
        "help_s": helps[0], "against": args.against, "against_help_s": helps[1] if args.against else None,
        "python_start_s": python_times, "fleet": asdict(fleet[1]) if fleet else None,
        "targets": rows, "notes": notes,
    }, indent=2) + "\n")
    print(table)
    return 0 if all(r["met"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
