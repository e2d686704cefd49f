"""`hostaudit watch` on a private dockerd: latency from a container's create to its JSON line at a given start
rate, idle CPU, and memory over many container lifecycles; beside it, the one-shot audit of the same daemon.

    python -m benchmarks.watch                          # 20 starts/s for 10 s, 60 s idle, 1000 lifecycles
    python -m benchmarks.watch --rates 20,2 --seconds 10 --idle 60 --lifecycles 10000 --out benchmarks/results

Containers are made through the Docker API directly (POST create, POST start; DELETE ?force=1 for a lifecycle), so
the client's own start-up is not counted. Each weak container (CAP_SYS_ADMIN, or the daemon's socket mounted) must
get a line: its latency is from the create request to the line's arrival on the watch's stdout. CPU and RSS of the
watch process are read from /proc/<pid>/stat and status. Writes watch.md and watch.json; exits 1 when a target is
missed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.lab import IMAGE, PrivateDocker, exit_on_signals, lab_dir

LATENCY_P95_S = 1.0
IDLE_CPU_PERCENT = 1.0
RSS_GROWTH_MB = 10.0
TICKS = os.sysconf("SC_CLK_TCK")


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str) -> None:
        super().__init__("docker", timeout=300)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


class Docker:
    """POST and DELETE on the daemon's API, one keep-alive connection per thread."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.local = threading.local()

    def call(self, method: str, endpoint: str, body: dict | None = None) -> dict | None:
        conn = getattr(self.local, "conn", None) or _UnixConnection(self.path)
        self.local.conn = conn
        data = json.dumps(body).encode() if body is not None else None
        conn.request(method, endpoint, data, {"Content-Type": "application/json"} if data else {})
        answer = conn.getresponse()
        text = answer.read()
        if answer.status >= 400:
            raise RuntimeError(f"{method} {endpoint}: {answer.status} {text[:200]!r}")
        return json.loads(text) if text else None

    def run(self, name: str, host_config: dict, command: tuple[str, ...] = ("/bin/sleep", "3600"),
            created: Callable[[], None] = lambda: None, started: Callable[[], None] = lambda: None) -> str:
        """Create and start a container (`created` is called between the two, `started` when the start returned:
        the daemon has started it); its id."""
        made = self.call("POST", f"/containers/create?name={name}",
                         {"Image": IMAGE, "Cmd": list(command), "HostConfig": host_config})
        assert made is not None
        created()
        self.call("POST", f"/containers/{made['Id']}/start")
        started()
        return made["Id"]

    def remove(self, container_id: str) -> None:
        """Remove a container; again after a moment when the daemon refuses while the container exits."""
        for attempt in range(5):
            try:
                self.call("DELETE", f"/containers/{container_id}?force=1")
                return
            except RuntimeError:
                if attempt == 4:
                    raise
                time.sleep(0.2)


class Watcher:
    """`hostaudit watch` on the daemon; the arrival time of each line, by subject."""

    def __init__(self, docker: PrivateDocker) -> None:
        self.process = subprocess.Popen(["hostaudit", "watch", "--docker-host", docker.url], stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
        self.first: dict[str, float] = {}
        self.lines = 0
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._errors, daemon=True).start()

    def _read(self) -> None:
        for raw in self.process.stdout:
            now = time.monotonic()
            subject = json.loads(raw)["subject"]
            self.lines += 1
            self.first.setdefault(subject, now)

    def _errors(self) -> None:
        for line in self.process.stderr:
            if "following its events" in line:
                self.ready.set()

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> int:
        self.process.terminate()
        return self.process.wait(timeout=30)


def _weak(number: int, socket_path: str) -> dict:
    if number % 2:
        return {"Binds": [f"{socket_path}:/var/run/docker.sock"], "NetworkMode": "none"}
    return {"CapAdd": ["SYS_ADMIN"], "NetworkMode": "none"}


def latency(docker: PrivateDocker, api: Docker, watcher: Watcher, rate: float, seconds: float) -> dict:
    """Start `rate` weak containers a second for `seconds`; each one's delay to its line from the create request
    (the daemon's own time included: a daemon that cannot start containers that fast queues the requests), from
    the moment the create call returned (the container exists, its `create` event is sent; the daemon answers an
    inspect only once the container's start has ended), and from the moment the start call returned (the container
    runs: the watch's own delay; a line that came before it, from the create, counts 0)."""
    count = int(rate * seconds)
    requested: dict[str, float] = {}
    exists: dict[str, float] = {}
    running: dict[str, float] = {}
    began = time.monotonic()

    def one(number: int) -> str:
        time.sleep(max(0.0, began + number / rate - time.monotonic()))
        subject = f"docker:lat{rate:g}-{number}"
        requested[subject] = time.monotonic()
        return api.run(subject.removeprefix("docker:"), _weak(number, str(docker.socket)),
                       created=lambda: exists.__setitem__(subject, time.monotonic()),
                       started=lambda: running.__setitem__(subject, time.monotonic()))

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(one, range(count)))
    achieved = count / (time.monotonic() - began)
    ends = time.monotonic() + 60
    while time.monotonic() < ends and not all(k in watcher.first for k in requested):
        time.sleep(0.05)
    with ThreadPoolExecutor(max_workers=8) as pool:  # removed through the API: `docker rm -f` of 100 timed out
        list(pool.map(api.remove, ids))
    missed = [k for k in requested if k not in watcher.first]

    def spread(since: dict[str, float]) -> dict[str, float]:
        delays = sorted(max(0.0, watcher.first[k] - t) for k, t in since.items() if k in watcher.first)
        return {"p50_s": round(statistics.median(delays), 3), "p95_s": round(delays[int(len(delays) * 0.95) - 1], 3),
                "max_s": round(delays[-1], 3)}

    return {"rate": rate, "containers": count, "achieved_rate": round(achieved, 1), "missed": len(missed),
            "from_request": spread(requested), "from_created": spread(exists), "from_started": spread(running)}


def idle(watcher: Watcher, seconds: float) -> dict:
    time.sleep(5)  # the last burst's events are judged
    cpu, started = watcher.cpu_s(), time.monotonic()
    time.sleep(seconds)
    used = watcher.cpu_s() - cpu
    return {"seconds": seconds, "cpu_percent": round(100 * used / (time.monotonic() - started), 3)}


def lifecycles(docker: PrivateDocker, api: Docker, watcher: Watcher, count: int, workers: int) -> dict:
    """`count` weak containers each created, started (they exit at once: removing a running one took seconds on a
    loaded machine) and removed, `workers` at a time; the watch's RSS after the first 100 and every 500. Each
    lifecycle waits for its container's line before removing it, so no line is skipped and none queues up."""
    rss: list[tuple[int, float]] = []
    done = 0
    lock = threading.Lock()
    started = time.monotonic()

    def one(number: int) -> None:
        nonlocal done
        subject = f"docker:life-{number}"
        container_id = api.run(subject.removeprefix("docker:"), _weak(number, str(docker.socket)), ("/bin/true",))
        ends = time.monotonic() + 60
        while subject not in watcher.first:
            if time.monotonic() > ends:
                raise RuntimeError(f"no line about {subject}")
            time.sleep(0.01)
        api.remove(container_id)
        with lock:
            done += 1
            if done == 100 or done % 500 == 0 or done == count:
                rss.append((done, round(watcher.rss_mb(), 1)))

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, range(count)))
    baseline = next(mb for n, mb in rss if n >= 100)
    return {"lifecycles": count, "seconds": round(time.monotonic() - started, 1), "rss_mb": rss,
            "growth_mb": round(rss[-1][1] - baseline, 1)}


def one_shot(docker: PrivateDocker) -> dict:
    started = time.monotonic()
    subprocess.run(["hostaudit", "audit", "--format", "json", "--docker-host", docker.url],
                   capture_output=True, check=False)
    return {"wall_s": round(time.monotonic() - started, 3)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", default="20", help="start rates to measure the latency at, one burst each "
                        "(comma-separated, per second; default 20)")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--idle", type=float, default=60.0)
    parser.add_argument("--lifecycles", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=4, help="lifecycles run at once (default 4)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    rates = [float(rate) for rate in args.rates.split(",")]
    exit_on_signals()
    docker = PrivateDocker(lab_dir("hb-"))
    results: dict = {}
    try:
        docker.start()
        docker.build_image()
        api = Docker(str(docker.socket))
        watcher = Watcher(docker)
        if not watcher.ready.wait(120):
            raise RuntimeError("the watch does not follow the lab's dockerd")
        results["latency"] = [latency(docker, api, watcher, rate, args.seconds) for rate in rates]
        results["one_shot_audit"] = one_shot(docker)  # the same daemon, after the bursts
        results["idle"] = idle(watcher, args.idle)
        results["memory"] = lifecycles(docker, api, watcher, args.lifecycles, args.workers)
        results["exit"] = watcher.stop()
    finally:
        docker.stop()
    verdicts = {}
    for lat in results["latency"]:
        verdicts[f"p95 create request->line at {lat['rate']:g}/s requested ({lat['achieved_rate']:g}/s achieved) "
                 f"< {LATENCY_P95_S} s"] = lat["from_request"]["p95_s"] < LATENCY_P95_S and lat["missed"] == 0
    verdicts[f"idle CPU < {IDLE_CPU_PERCENT}% of a core"] = results["idle"]["cpu_percent"] < IDLE_CPU_PERCENT
    verdicts[f"RSS growth < {RSS_GROWTH_MB} MB over {args.lifecycles} lifecycles"] = \
        results["memory"]["growth_mb"] < RSS_GROWTH_MB
    results["targets"] = verdicts
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "watch.json").write_text(json.dumps(results, indent=1) + "\n")
    load = os.getloadavg()
    lines = ["# hostaudit watch benchmark", "", f"Host: {os.cpu_count()} CPUs; {time.strftime('%Y-%m-%d %H:%M')}; "
             f"load at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1/5/15 min)", "",
             "| measure | value |", "|---|---|"]
    for lat in results["latency"]:
        lines += [f"| weak containers requested at {lat['rate']:g}/s | {lat['containers']}, started at "
                  f"{lat['achieved_rate']}/s, {lat['missed']} without a line |",
                  *[f"| at {lat['rate']:g}/s: {label} -> JSON line p50 / p95 / max | {lat[k]['p50_s']} / "
                    f"{lat[k]['p95_s']} / {lat[k]['max_s']} s |"
                    for k, label in (("from_request", "create request"), ("from_created", "create returned"),
                                     ("from_started", "start returned"))]]
    lines += [f"| one-shot audit of the same daemon | {results['one_shot_audit']['wall_s']} s |",
              f"| idle CPU over {results['idle']['seconds']:g} s | {results['idle']['cpu_percent']} % of a core |",
              f"| RSS after 100 / {results['memory']['lifecycles']} lifecycles | "
              f"{results['memory']['rss_mb'][0][1]} / {results['memory']['rss_mb'][-1][1]} MB "
              f"(growth {results['memory']['growth_mb']} MB, {results['memory']['seconds']} s) |", "",
              "| target | met |", "|---|---|", *[f"| {k} | {'yes' if v else 'NO'} |" for k, v in verdicts.items()]]
    (args.out / "watch.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0 if all(verdicts.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
