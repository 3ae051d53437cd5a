"""Start the Streamlit app on a free local port: the harness of the browser tests and benchmarks.

Not part of the app package (the launcher people run is ``geo_core20/serve.py``). Tests import it
as ``harness`` (tests/ is on pytest's path); benchmarks/_common.py puts tests/ on ``sys.path``.

    with serve_app() as base_url:      # e.g. "http://127.0.0.1:40123"
        ...

The server runs headless, bound to 127.0.0.1, with usage statistics off; it is stopped
(its whole process group) when the block ends. Does not import Streamlit itself.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(base_url: str, timeout: float = 60.0, proc: subprocess.Popen | None = None) -> None:
    """Wait for Streamlit's health endpoint; RuntimeError (with the server's log) on failure."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"streamlit exited early with code {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"streamlit did not become healthy at {base_url} within {timeout:.0f} s")


@contextlib.contextmanager
def serve_app(script: str = "app.py", port: int | None = None, log_path: Path | None = None,
              timeout: float = 90.0, extra_args: Sequence[str] = ()) -> Iterator[str]:
    """Run ``streamlit run <script>`` from the project root; yields its base URL.

    ``script`` may be absolute (Streamlit serves the ``static/`` folder next to it);
    ``extra_args`` are more ``streamlit run`` options (e.g. ``--server.maxMessageSize``).
    """
    port = port or free_port()
    base_url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true",
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", *extra_args]
    log = open(log_path, "w", encoding="utf-8") if log_path else subprocess.DEVNULL  # noqa: SIM115
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)
    try:
        wait_healthy(base_url, timeout, proc)
        yield base_url
    finally:
        stop(proc)
        if log_path:
            log.close()


def stop(proc: subprocess.Popen) -> None:
    """Stop a server started in its own process group: SIGTERM, then SIGKILL after 15 s."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
