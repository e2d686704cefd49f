"""The Docker daemon as it runs: API info/version, its command line, daemon.json, sockets and TCP exposure."""

from __future__ import annotations

import os
from typing import cast

from hostaudit.collectors import CollectContext, CollectorError, CollectorSkipped, PartialFacts, ProcessEntry
from hostaudit.collectors._docker import api_error, client, peer_pid, release, tcp_server_pid, unix_path
from hostaudit.collectors._docker_http import expect_shape
from hostaudit.collectors._fs import host_path, process_started_at, read_parsed, socket_info, to_host, user_home
from hostaudit.daemon_settings import configured
from hostaudit.model import ConfigFile, DockerDaemonFacts, DockerEngine, Presence, TcpListener
from hostaudit.parsers import parse_dockerd_argv, parse_json_object

DEFAULT_CONFIG = "/etc/docker/daemon.json"
DEFAULT_SOCKETS = ("/var/run/docker.sock", "/run/docker.sock")


def read_config(path: str) -> ConfigFile:
    """daemon.json parsed, or why not."""
    return read_parsed(path, parse_json_object)


def _same_socket(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def find_dockerd(ctx: CollectContext) -> ProcessEntry | None:
    """The dockerd serving our endpoint: by SO_PEERCRED on its unix socket or by the process listening on its TCP
    port, else by its -H flags, else the only one."""
    candidates = ctx.processes_named("dockerd")
    path = unix_path(ctx.docker_url)
    pid = peer_pid(path, ctx.docker_timeout) if path else tcp_server_pid(ctx.docker_url)
    by_pid = [p for p in candidates if p.pid == pid]
    if by_pid:
        return by_pid[0]
    if not path:
        return None
    for proc in candidates:
        if any(_same_socket(host_path(s), path) for s in unix_sockets(parse_dockerd_argv(proc.argv), {})):
            return proc
    return candidates[0] if len(candidates) == 1 and _same_socket(path, host_path(DEFAULT_SOCKETS[0])) else None


def hosts(flags: dict[str, tuple[str, ...]], config: dict) -> list[tuple[str, str]]:
    """Every -H / daemon.json `hosts` address of a dockerd, with where it was given."""
    found = [(h, "argv") for h in flags.get("host", ())]
    config_hosts = config.get("hosts")
    if isinstance(config_hosts, str):
        config_hosts = [config_hosts]
    if isinstance(config_hosts, list):
        found += [(h, "daemon.json") for h in config_hosts if isinstance(h, str)]
    return found


def unix_sockets(flags: dict[str, tuple[str, ...]], config: dict) -> list[str]:
    """The unix sockets a dockerd listens on: its unix hosts, or the default socket when it was given no host."""
    given = hosts(flags, config)
    if not given:
        return [DEFAULT_SOCKETS[0]]
    return [p for p in (unix_path(h) for h, _ in given) if p]


def _flag_bool(flags: dict[str, tuple[str, ...]], config: dict, name: str) -> bool:
    return configured(flags, config, name, boolean=True)[0] is True


def _proxy_processes(pid: int | None) -> int | None:
    """How many docker-proxy processes this dockerd runs (one per published port with the userland proxy on)."""
    if not pid:
        return None
    import psutil

    try:
        children = psutil.Process(pid).children()
        return sum(1 for child in children if child.name() == "docker-proxy")
    except (psutil.Error, OSError):
        return None


SWARM_PORTS = (2377, 7946)  # a swarm manager's cluster API (mutual TLS of its own) and the gossip port


def _not_the_api(flags, config, info: dict | None) -> set[int]:
    """Ports dockerd listens on that are not its Engine API: the metrics address and, in an active swarm, the
    swarm's own ports (neither serves the API, so neither is an API without TLS)."""
    ports = set()
    metrics = configured(flags, config, "metrics-addr")[0]
    if isinstance(metrics, str):
        port = _split_host_port(metrics)[1]
        if port.isdigit():
            ports.add(int(port))
    swarm = (info or {}).get("Swarm")
    if isinstance(swarm, dict) and swarm.get("LocalNodeState") == "active":
        ports.update(SWARM_PORTS)
    return ports


def _tcp_listeners(flags, config, pid: int | None, info: dict | None) -> tuple[TcpListener, ...]:
    """TCP listeners from -H flags, daemon.json `hosts`, and dockerd's real listening sockets (socket activation
    or a listener nobody declared, such as one a daemon.json edit removed but the running daemon keeps), less its
    metrics and swarm ports. TLS is one daemon-wide setting; dockerd turns TLS on whenever `tlsverify` is given at
    all, even `--tlsverify=false`, and verifies clients only when it is true."""
    tls_verify = _flag_bool(flags, config, "tlsverify")
    tls = "tlsverify" in flags or "tlsverify" in config or _flag_bool(flags, config, "tls")
    found: dict[tuple[str, int], TcpListener] = {}
    for host, source in hosts(flags, config):
        if host.startswith("tcp://"):
            address, port = _split_host_port(host[len("tcp://"):].rstrip("/"))
            port_number = int(port) if port.isdigit() and int(port) <= 65535 else (2376 if tls else 2375)
            found[(address or "0.0.0.0", port_number)] = TcpListener(address or "0.0.0.0", port_number, tls,
                                                                     tls_verify, source)
    other = _not_the_api(flags, config, info)
    for address, port in _listening(pid):
        if port not in other:
            found.setdefault((address, port), TcpListener(address, port, tls, tls_verify, "listening"))
    return tuple(found.values())


def _split_host_port(text: str) -> tuple[str, str]:
    """`host:port`, `[v6]:port`, `host` or `:port` as (host, port); either may be empty."""
    if text.startswith("[") and "]" in text:
        host, _, rest = text.partition("]")
        return host + "]", rest.removeprefix(":")
    host, colon, port = text.rpartition(":")
    return (host, port) if colon else (text, "")


def _listening(pid: int | None) -> list[tuple[str, int]]:
    """The TCP addresses a process listens on, from the kernel's socket table (empty when unreadable)."""
    if not pid:
        return []
    import psutil

    try:
        connections = psutil.Process(pid).net_connections(kind="tcp")
    except (psutil.Error, OSError):
        return []
    return [(c.laddr.ip, c.laddr.port) for c in connections if c.status == psutil.CONN_LISTEN and c.laddr]


def _count(info: dict | None, key: str) -> int | None:
    value = (info or {}).get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _same_engine(engine: DockerEngine, path: str | None) -> bool:
    return path is not None and _same_socket(host_path(engine.socket), path)


def collect(ctx: CollectContext) -> DockerDaemonFacts:
    """The dockerd at the audit's endpoint (`ctx.docker_url`)."""
    path = unix_path(ctx.docker_url)
    engine = next((e for e in ctx.docker_engines if e.error is None and _same_engine(e, path)), None)
    dockerd = _engine_process(ctx, engine) if engine is not None and engine.rootless else find_dockerd(ctx)
    flags = parse_dockerd_argv(dockerd.argv) if dockerd else {}
    return _read(ctx, dockerd, flags, _engine_config(engine, flags), engine, may_skip=True)


def _engine_process(ctx: CollectContext, engine: DockerEngine) -> ProcessEntry | None:
    """The process serving a verified engine's socket: root's own dockerd, or the rootless user's."""
    table = ctx.processes if engine.rootless else ctx.processes_named("dockerd")
    return next((p for p in table if p.pid == engine.pid), None)


def _engine_config(engine: DockerEngine | None, flags: dict[str, tuple[str, ...]]) -> ConfigFile:
    """The daemon.json a dockerd reads: a rootless one's user's (`user_config`), else root's --config-file."""
    if engine is not None and engine.rootless:
        return user_config(engine, flags)
    return read_config(flags.get("config-file", (DEFAULT_CONFIG,))[-1])


def user_config(engine: DockerEngine, flags: dict[str, tuple[str, ...]]) -> ConfigFile:
    """A rootless dockerd's daemon.json where dockerd looks for it: its --config-file, else
    `$XDG_CONFIG_HOME/docker/daemon.json`, else `$HOME/.config/docker/daemon.json` of its environment (its user's
    /etc/passwd home when unset). The user wrote the path and the file: it is read bounded, only when it is a regular
    file that user owns, and only as that user's engine's settings."""
    from hostaudit.collectors.docker_engines import environ_path

    path = flags.get("config-file", ("",))[-1]
    if not path.startswith("/"):
        home = environ_path(engine.pid, "XDG_CONFIG_HOME") if engine.pid else None
        user_home_dir = (environ_path(engine.pid, "HOME") if engine.pid else None) or (
            user_home(engine.uid) if engine.uid is not None else None)
        home = home or (f"{user_home_dir}/.config" if user_home_dir else None)
        if home is None:
            return ConfigFile("~/.config/docker/daemon.json", Presence.UNREADABLE,
                              error=f"no home directory for uid {engine.uid}")
        path = f"{home}/docker/daemon.json"
    return read_parsed(path, parse_json_object, owner=engine.uid)


def collect_others(ctx: CollectContext) -> tuple[DockerDaemonFacts, ...]:
    """Every verified dockerd other than the endpoint's (each pid once), read as the endpoint's is: its argv, its
    own daemon.json (a rootless one's from its user, `user_config`) and its API. Skipped when one endpoint was
    named (--docker-host narrows the audit to it)."""
    if ctx.narrowed:
        raise CollectorSkipped("one Docker endpoint was named: only it is audited")
    main = unix_path(ctx.docker_url)
    verified = [e for e in ctx.docker_engines if e.error is None]
    seen = {e.pid for e in verified if _same_engine(e, main)}
    found = []
    for engine in verified:
        if engine.pid in seen:
            continue
        seen.add(engine.pid)
        dockerd = _engine_process(ctx, engine)
        flags = parse_dockerd_argv(dockerd.argv) if dockerd else {}
        endpoint = ctx.for_endpoint(f"unix://{host_path(engine.socket)}")
        try:
            found.append(_read(endpoint, dockerd, flags, _engine_config(engine, flags), engine, may_skip=False))
        except PartialFacts as exc:
            found.append(cast(DockerDaemonFacts, exc.facts))
        finally:
            release(endpoint)
    errors = [f.error for f in found if f.error]
    if errors:
        raise PartialFacts(tuple(found), "; ".join(errors))
    return tuple(found)


def _read(ctx: CollectContext, dockerd: ProcessEntry | None, flags: dict[str, tuple[str, ...]], config: ConfigFile,
          engine: DockerEngine | None, may_skip: bool) -> DockerDaemonFacts:
    """One dockerd's facts from its process, its daemon.json and its API at `ctx.docker_url`; PartialFacts when the
    API did not answer, CollectorSkipped (`may_skip`) when there is no dockerd, no daemon.json and no socket."""
    settings = config.data or {}
    info = version = None
    error = None
    try:
        api = client(ctx)
        info, version = expect_shape(api.info(), dict, "/info"), expect_shape(api.version(), dict, "/version")
    except CollectorSkipped:
        if may_skip and dockerd is None and config.presence is Presence.ABSENT:
            raise
        error = f"docker: no socket at {ctx.docker_url}"
    except CollectorError as exc:
        error = str(exc)
    except Exception as exc:  # the SDK raises requests/urllib3 errors too
        error = str(api_error(ctx.docker_url, exc))
    endpoint_path = unix_path(ctx.docker_url)  # where this process reaches it: under the host root, if any
    socket_paths = dict.fromkeys([*(unix_sockets(flags, settings) if dockerd else ()),
                                  *([to_host(endpoint_path)] if endpoint_path else [])])
    security_options = (info or {}).get("SecurityOptions")
    security_options = security_options if isinstance(security_options, list) else []
    facts = DockerDaemonFacts(
        endpoint=ctx.docker_url,
        reachable=info is not None,
        error=error,
        pid=dockerd.pid if dockerd else None,
        argv=dockerd.argv if dockerd else (),
        flags=flags,
        config=config,
        info=info,
        version=version,
        sockets=tuple(socket_info(p) for p in socket_paths),
        tcp_listeners=_tcp_listeners(flags, settings, dockerd.pid if dockerd else None, info),
        # the API shows what is in force; the command line and daemon.json only when it did not answer
        rootless=any("name=rootless" in str(o) for o in security_options) if info is not None
        else "rootless" in flags,
        userns_remap=any("name=userns" in str(o) for o in security_options) if info is not None
        else bool(configured(flags, settings, "userns-remap")[0]),
        image_count=_count(info, "Images"),
        container_count=_count(info, "Containers"),
        stopped_container_count=_count(info, "ContainersStopped"),
        started_at=process_started_at(dockerd.pid if dockerd else None),
        proxy_processes=_proxy_processes(dockerd.pid if dockerd else None),
        engine=engine,
    )
    if error:
        raise PartialFacts(facts, error)
    return facts

