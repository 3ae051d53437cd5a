"""One way to write a file so that no reader ever sees half of it (downloads, caches, exports).

    with atomic.path(dest) as tmp:       # a temp file beside dest; write it any way you like
        frame.to_parquet(tmp)
    atomic.write_bytes(dest, data)       # the same for bytes already in memory

The temp file (``<name>.part-<random>``, in dest's folder so the rename stays on one file system)
replaces ``dest`` only when the block ends cleanly (and ``check(tmp)`` passes); otherwise it is
deleted and ``dest`` is left as it was. Several files that must change together: enter several
``path`` blocks in one ``contextlib.ExitStack``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

PART = ".part-"
"""What a temp file's name holds after its target's name (a crashed writer may leave one behind)."""


@contextmanager
def path(dest: Path | str, *, check: Callable[[Path], None] | None = None,
         make_parents: bool = True) -> Iterator[Path]:
    """Yield a temp path beside ``dest``; on a clean exit check it and rename it over ``dest``.
    ``make_parents=False``: a missing folder is an error (a user's output path), not created."""
    dest = Path(dest)
    if make_parents:
        dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f"{dest.name}{PART}{secrets.token_hex(6)}")
    try:
        yield tmp
        if check is not None:
            check(tmp)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes(dest: Path | str, data: bytes, *, make_parents: bool = True) -> Path:
    """Write ``data`` to ``dest`` atomically; returns ``dest`` as a Path."""
    with path(dest, make_parents=make_parents) as tmp:
        tmp.write_bytes(data)
    return Path(dest)


def write_text(dest: Path | str, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``dest`` atomically."""
    return write_bytes(dest, text.encode("utf-8"))
