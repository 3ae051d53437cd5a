"""geo_core20.atomic: the one way files are written (fetch, caches, exports): all or nothing."""

from __future__ import annotations

import pytest

from geo_core20 import atomic


def _parts(folder):
    return [p.name for p in folder.iterdir() if atomic.PART in p.name]


def test_write_replaces_the_file_whole(tmp_path):
    dest = tmp_path / "sub" / "out.csv"
    atomic.write_text(dest, "old")
    assert atomic.write_bytes(dest, b"new") == dest and dest.read_bytes() == b"new"
    assert _parts(dest.parent) == []


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path):
    dest = tmp_path / "out.parquet"
    dest.write_text("complete old file")
    with pytest.raises(RuntimeError), atomic.path(dest) as tmp:
        tmp.write_text("half a fi")
        raise RuntimeError("disk full")
    assert dest.read_text() == "complete old file" and _parts(tmp_path) == []


def test_a_failed_check_keeps_the_old_file(tmp_path):
    dest = tmp_path / "data.zip"

    def check(path):
        if not path.read_bytes().startswith(b"PK"):
            raise ValueError("not a zip")

    with pytest.raises(ValueError, match="not a zip"), atomic.path(dest, check=check) as tmp:
        tmp.write_bytes(b"<html>error page</html>")
    assert not dest.exists() and _parts(tmp_path) == []
    with atomic.path(dest, check=check) as tmp:
        tmp.write_bytes(b"PK\x03\x04")
    assert dest.read_bytes() == b"PK\x03\x04"
