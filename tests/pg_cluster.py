"""A throwaway PostgreSQL cluster for tests: Debian's postgresql binaries, a temp data dir, a free port.

``GEO_CORE20_TEST_PG`` (a URL) uses a server you already run instead. As root (CI), the cluster runs as
the ``postgres`` user (initdb refuses root); otherwise as the current user. Loopback only.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ENV = "GEO_CORE20_TEST_PG"


def bindir() -> Path | None:
    root = Path("/usr/lib/postgresql")
    versions = sorted(
        (p for p in root.glob("*/bin") if (p / "initdb").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    return versions[-1] if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_owner(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextmanager
def cluster() -> Iterator[str]:
    """Yield the URL of a fresh database; stop and delete the cluster afterwards."""
    if os.environ.get(ENV):
        yield os.environ[ENV]
        return
    bins = bindir()
    if bins is None:
        raise FileNotFoundError("PostgreSQL server not installed (apt-get install postgresql)")
    data = Path(tempfile.mkdtemp(prefix="gc20-pg-"))
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
    port = _free_port()
    log = data / "server.log"
    try:
        db = str(data / "db")
        subprocess.run(
            _as_owner([str(bins / "initdb"), "-D", db, "-A", "trust", "-U", "postgres", "--no-sync"]),
            check=True,
            capture_output=True,
            timeout=120,
        )
        subprocess.run(
            _as_owner(
                [
                    str(bins / "pg_ctl"),
                    "-D",
                    db,
                    "-l",
                    str(log),
                    "-w",
                    "-t",
                    "60",
                    "-o",
                    f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off",
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_owner([str(bins / "pg_ctl"), "-D", str(data / "db"), "-m", "immediate", "stop"]),
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(data, ignore_errors=True)
