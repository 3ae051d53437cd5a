"""One upload size limit, ``limits.MAX_UPLOAD_MB``, for every uploader of the app (issue 17).

The PLUS page said 20 MB and the planner's venue upload 200 MB (Streamlit's default, as
``server.maxUploadSize`` was unset). Now every ``st.file_uploader`` passes the limit from
``limits`` (what the widget shows and checks in the browser), the server refuses bigger bodies
(``server.maxUploadSize`` in .streamlit/config.toml and from the launcher) and every page states it.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo_core20 import limits, serve

ROOT = Path(__file__).resolve().parents[1]
PLUS_PAGE = str(ROOT / "views" / "2_PLUS_layers.py")
OUTREACH = str(ROOT / "views" / "3_Outreach_planner.py")
HULL = "E06000010"


@pytest.fixture
def plan_store(tmp_path, monkeypatch):
    from geo_core20 import plans

    monkeypatch.setenv(plans.PATH_ENV, str(tmp_path / "plans.sqlite"))


def _ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def every_uploader_in_the_code() -> set[str]:
    """Keys of every file uploader the pages and ui draw (found in the source)."""
    keys = set()
    for path in [ROOT / "app.py", *(ROOT / "views").glob("*.py"), *(ROOT / "geo_core20").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        for call in re.finditer(r"file_uploader\((.*?)\)\n", text, flags=re.S):
            keys.update(re.findall(r'key="([^"]+)"', call.group(1)))
    return keys


def uploaders_shown() -> dict[str, tuple[int, str, str]]:
    """Every uploader the pages draw, once its controls are set: key -> (MB limit, help, page text)."""
    shown = {}
    at = AppTest.from_file(PLUS_PAGE, default_timeout=240)
    at.query_params.update(level="lad", area=HULL)
    _ok(at.run())
    _ok(at.segmented_control(key="plus_section").set_value("Local data").run())
    text = " ".join(m.value for m in at.markdown)
    shown.update({u.key: (u.proto.max_upload_size_mb, u.help or "", text) for u in at.file_uploader})

    at = AppTest.from_file(OUTREACH, default_timeout=240)
    at.query_params.update(level="lad", area=HULL)
    _ok(at.run())
    at.selectbox(key="op_source").set_value("upload").run()
    _ok(at.toggle(key="op_use_od").set_value(True).run())
    _ok(at.toggle(key="op_use_demand").set_value(True).run())
    text = " ".join(m.value for m in at.markdown)
    shown.update({u.key: (u.proto.max_upload_size_mb, u.help or "", text) for u in at.file_uploader})
    _ok(at.selectbox(key="op_source").set_value("file").run())  # the sites-file uploader
    shown.update({u.key: (u.proto.max_upload_size_mb, u.help or "", text) for u in at.file_uploader})
    return shown


@pytest.mark.usefixtures("atlas2025", "plan_store")
def test_every_uploader_states_and_enforces_the_one_limit_from_limits():
    shown = uploaders_shown()
    every = {"plus_upload", "op_upload", "op_od", "op_sites_file", "op_demand_file"}
    assert set(shown) == every_uploader_in_the_code() == every
    for key, (mb, help_text, _) in shown.items():
        assert mb == limits.MAX_UPLOAD_MB, f"{key} allows {mb} MB"
        assert f"{limits.MAX_UPLOAD_MB} MB" in help_text, key
    assert f"up to {limits.MAX_UPLOAD_MB} MB per file" in shown["plus_upload"][2]


@pytest.mark.usefixtures("atlas2025", "plan_store")
def test_the_limit_is_read_from_limits_at_run_time(monkeypatch):
    monkeypatch.setattr(limits, "MAX_UPLOAD_MB", 7)
    shown = uploaders_shown()
    assert {key: mb for key, (mb, _, _) in shown.items()} == dict.fromkeys(shown, 7)
    assert all("7 MB" in help_text and "20 MB" not in help_text for _, help_text, _ in shown.values())
    assert "up to 7 MB per file" in shown["plus_upload"][2]


def test_server_config_and_launcher_agree_with_limits():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] == limits.MAX_UPLOAD_MB
    assert limits.MAX_BYTES == limits.MAX_UPLOAD_MB * 1024 * 1024
    argv = serve.streamlit_argv(["--server.port", "8502"])
    i = argv.index("--server.maxUploadSize")
    assert argv[i + 1] == str(limits.MAX_UPLOAD_MB) and argv[-2:] == ["--server.port", "8502"]
    assert argv[:3] == ["streamlit", "run", str(serve.APP)]
    # an explicit value given to the launcher is the one Streamlit gets
    assert serve.streamlit_argv(["--server.maxUploadSize=5"]).count("--server.maxUploadSize") == 0
