"""A caching front for a crowd: nginx before one or more app processes, with sticky sessions.

    python -m geo_core20.front --replicas 2 --port 8500      # (make front REPLICAS=2 PORT=8500)

A conference room opening the speaker's link at once costs Streamlit most in serving its ~260
frontend files to every new browser. Here nginx (Debian's package, run by the project as an ordinary
process with its own config under ``data/front/``) serves those files straight from the installed
Streamlit package and the app's ``static/`` folder, with long browser caching, and proxies everything
else to the app processes (``python -m geo_core20.serve``, the launcher ``make run`` uses).

Sessions are sticky by a cookie: a browser without ``gc20_replica`` gets one (the request id of its
first request) and every request carrying it, the websocket and file uploads included, hashes to the
same replica (``hash $cookie consistent``; ``ip_hash`` would send every client behind one proxy or on
loopback to one replica). All replicas share one cookie secret and, for saved plans shared across
them, a PostgreSQL plan store (``GEO_CORE20_PLAN_STORE=postgresql://...``): with the embedded SQLite
store each process keeps its own plans. ``X-GC20-Replica`` names the replica that answered (for
checks and the load test).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from geo_core20 import limits, sources

ROOT = Path(__file__).resolve().parents[1]
RUN_DIR = sources.DATA_DIR / "front"
COOKIE = "gc20_replica"
REPLICA_HEADER = "X-GC20-Replica"

_CONF = """# written by python -m geo_core20.front: do not edit
worker_processes 1;
pid {run}/nginx.pid;
error_log {run}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    include {mime_types};
    default_type application/octet-stream;
    access_log {access_log};
    sendfile on;
    tcp_nopush on;
    client_max_body_size {max_upload}m;
    client_body_temp_path {run}/body;
    proxy_temp_path {run}/proxy;
    fastcgi_temp_path {run}/fastcgi;
    uwsgi_temp_path {run}/uwsgi;
    scgi_temp_path {run}/scgi;
    gzip on;
    gzip_types text/css application/javascript application/json image/svg+xml;
    proxy_cache_path {run}/cache levels=1:2 keys_zone=gc20:10m max_size=200m inactive=1h use_temp_path=off;

    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    # sticky sessions: the cookie, else this request's id (which the cookie then carries)
    map $cookie_{cookie} $gc20_key {{ "" $request_id; default $cookie_{cookie}; }}
    map $cookie_{cookie} $gc20_set_cookie {{
        "" "{cookie}=$request_id; Path=/; HttpOnly; SameSite=Lax";
        default "";
    }}

    upstream gc20_app {{
        hash $gc20_key consistent;
{servers}
    }}

    server {{
        listen {host}:{port};
        server_tokens off;

        # Streamlit's own frontend (content-hashed names): from the installed package, cached for a year
        location /static/ {{
            alias {st_static}/static/;
            add_header Cache-Control "public, max-age=31536000, immutable";
        }}
        location = /favicon.png {{ alias {st_static}/favicon.png; expires 1d; }}
        location = /manifest.json {{ alias {st_static}/manifest.json; expires 1d; }}
        # the app's own assets (Leaflet, national map geometry, axe-core): served by the app at /app/static/
        location /app/static/ {{
            alias {app_static}/;
            add_header Cache-Control "public, max-age=3600";
        }}
        # custom components (the map's iframe): the same files on every replica, cached here
        location /component/ {{
            proxy_pass http://gc20_app;
            proxy_cache gc20;
            proxy_cache_valid 200 1h;
            proxy_ignore_headers Cache-Control Set-Cookie Expires;
            add_header X-Cache $upstream_cache_status;
        }}
        location /_stcore/stream {{
            proxy_pass http://gc20_app;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_read_timeout 86400s;
            proxy_send_timeout 86400s;
            proxy_buffering off;
        }}
        location / {{
            proxy_pass http://gc20_app;
            proxy_http_version 1.1;
            proxy_set_header Host $host;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_read_timeout 300s;
            add_header Set-Cookie $gc20_set_cookie;
            add_header {replica_header} $upstream_addr always;
        }}
    }}
}}
"""


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)


def streamlit_static() -> Path:
    import streamlit

    return Path(streamlit.__file__).resolve().parent / "static"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def render_config(run_dir: Path, port: int, replica_ports: list[int], *, host: str = "127.0.0.1",
                  access_log: bool = False) -> str:
    """The nginx configuration (text) for the front on ``port`` before ``replica_ports``."""
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=0;" for p in replica_ports)
    mime = Path("/etc/nginx/mime.types")
    return _CONF.format(run=run_dir, mime_types=mime if mime.exists() else run_dir / "mime.types",
                        access_log=f"{run_dir}/access.log" if access_log else "off",
                        max_upload=limits.MAX_UPLOAD_MB + 1, cookie=COOKIE, servers=servers, host=host,
                        port=port, st_static=streamlit_static(), app_static=ROOT / "static",
                        replica_header=REPLICA_HEADER)


def wait_http(url: str, timeout: float, procs: list[subprocess.Popen]) -> None:
    """Wait until ``url`` answers 200 (a process of ``procs`` ending first is an error)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for p in procs:
            if p.poll() is not None:
                raise RuntimeError(f"a process of the front exited early (code {p.returncode}); see "
                                   f"{RUN_DIR}/*.log")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


@dataclass
class Front:
    """A running front: its URL, the replicas' ports and processes (for tests and the load test)."""

    url: str
    replica_ports: list[int]
    replicas: list[subprocess.Popen] = field(default_factory=list)
    nginx: subprocess.Popen | None = None
    run_dir: Path = RUN_DIR

    def pids(self) -> list[int]:
        return [p.pid for p in self.replicas]

    def pinned_cookies(self, tries: int = 400) -> dict[str, str]:
        """A cookie value the front sends to each replica (replica address -> value), found by asking
        (the hash is nginx's): for tests and the load test, which must reach every replica."""
        found: dict[str, str] = {}
        for i in range(tries):
            value = f"pin{i}"
            req = urllib.request.Request(f"{self.url}/_stcore/health",
                                         headers={"Cookie": f"{COOKIE}={value}"})
            with urllib.request.urlopen(req, timeout=30) as r:
                found.setdefault(r.headers[REPLICA_HEADER], value)
            if len(found) == len(self.replica_ports):
                return found
        raise RuntimeError(f"{tries} cookies reached only {sorted(found)}")


@contextmanager
def running(replicas: int = 2, port: int | None = None, *, run_dir: Path | None = None,
            env: dict[str, str] | None = None, startup_timeout: float = 180.0,
            app_args: list[str] | None = None):
    """Start ``replicas`` app processes and nginx before them; stop everything on exit."""
    if nginx_binary() is None:  # before any replica is started
        raise FileNotFoundError("nginx not installed (apt-get install nginx)")
    run_dir = Path(run_dir or RUN_DIR)
    run_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    ports = [free_port() for _ in range(replicas)]
    child_env = {**os.environ, **(env or {}), "STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_hex(32)}
    procs: list[subprocess.Popen] = []
    front = Front(f"http://127.0.0.1:{port}", ports, procs, None, run_dir)
    try:
        for i, p in enumerate(ports):
            log = open(run_dir / f"replica-{i + 1}.log", "w")  # noqa: SIM115 - closed with the process
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "geo_core20.serve", "--server.port", str(p), "--server.address",
                 "127.0.0.1", "--server.headless", "true", *(app_args or [])],
                cwd=ROOT, env=child_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        front.nginx = start_nginx(run_dir, port, ports)
        for p in ports:
            wait_http(f"http://127.0.0.1:{p}/_stcore/health", startup_timeout, [*procs, front.nginx])
        wait_http(f"{front.url}/_stcore/health", 30, [front.nginx])
        yield front
    finally:
        stop([front.nginx, *procs])


def start_nginx(run_dir: Path, port: int, replica_ports: list[int]) -> subprocess.Popen:
    """nginx with the front's configuration (``render_config``) on ``port`` before ``replica_ports``, run
    from ``run_dir`` (its config, caches and log there), in its own process group."""
    nginx = nginx_binary()
    if nginx is None:
        raise FileNotFoundError("nginx not installed (apt-get install nginx)")
    conf = run_dir / "nginx.conf"
    conf.write_text(render_config(run_dir, port, replica_ports), encoding="utf-8")
    log = open(run_dir / "nginx.log", "w")  # noqa: SIM115 - closed with the process
    return subprocess.Popen([nginx, "-p", str(run_dir), "-c", str(conf), "-g", "daemon off;"],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop(procs: list[subprocess.Popen | None]) -> None:
    """Stop processes started in their own process groups: SIGTERM, then SIGKILL after 20 s."""
    for proc in procs:
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        if proc is not None:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m geo_core20.front", description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=2, help="app processes behind the front (default 2)")
    parser.add_argument("--port", type=int, default=8500, help="the front's port (default 8500)")
    args = parser.parse_args(argv)
    store = os.environ.get("GEO_CORE20_PLAN_STORE", "")
    if args.replicas > 1 and not store.startswith(("postgresql://", "postgres://")):
        print("note: saved plans are per replica with the SQLite store; set GEO_CORE20_PLAN_STORE="
              "postgresql://... to share them (README, Deployment).", file=sys.stderr)
    with running(args.replicas, args.port) as front:
        print(f"front on {front.url} -> replicas on ports {front.replica_ports} (Ctrl-C stops all)")
        try:
            while all(p.poll() is None for p in front.replicas) and front.nginx.poll() is None:
                time.sleep(1)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
