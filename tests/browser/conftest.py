"""Real-browser fixtures: the app served by `streamlit run app.py` and Debian's Chromium.

* ``served_app`` (session): the app on a free 127.0.0.1 port, headless, torn down at the end;
  its log goes to test-artifacts/streamlit.log.
* ``browser`` (module): Playwright's sync API driving /usr/bin/chromium (never a downloaded
  browser). Module scope, so other browser test modules can run their own Playwright.
* ``app_page``: a fresh page that records failed requests and any request to another host;
  ``app_page.snap(name)`` saves a screenshot to test-artifacts/explorer/.

Skips (with the reason) when Chromium, the built atlas or the map assets are missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from geo_core20 import atlas
from geo_core20.maps import assets

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1400, "height": 1000}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: real-browser tests (Playwright + Debian Chromium)")


def _skip_reason() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} not found: apt-get install chromium"
    if not atlas.atlas_path("2025").exists():
        return "atlas 2025 not built: python -m geo_core20 data build"
    if not assets.is_installed():
        return "map assets not installed: python -m geo_core20 assets"
    return None


@pytest.fixture(scope="session")
def served_app():
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    from harness import serve_app

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with serve_app(log_path=ARTIFACTS / "streamlit.log") as base_url:
        yield base_url


@pytest.fixture(scope="module")
def browser():
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class AppPage:
    """A Playwright page on the served app, with what it asked of the network."""

    page: object
    base_url: str
    name: str
    failed: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    shots: int = 0

    def snap(self, step: str, element=None) -> Path:
        """Screenshot (of the page, or of one element) to test-artifacts/explorer/."""
        self.shots += 1
        out = ARTIFACTS / "explorer" / f"{self.name}-{self.shots:02d}-{step}.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        (element or self.page).screenshot(path=str(out))
        return out

    def assert_offline(self) -> None:
        """No request left this server, none failed, no script error."""
        assert self.external == [], f"requests to other hosts: {self.external[:5]}"
        assert self.failed == [], f"failed requests: {self.failed[:5]}"
        assert self.errors == [], f"page errors: {self.errors[:5]}"


@pytest.fixture
def app_page(request, served_app, browser):
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    page = context.new_page()
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", request.node.name)[:80]
    info = AppPage(page, served_app, name)
    local = (served_app, "data:", "blob:", "about:")

    def on_request(req) -> None:
        if not req.url.startswith(local):
            info.external.append(req.url)

    def on_failed(req) -> None:
        failure = req.failure or ""
        # an iframe replaced by a new map, or a page left, aborts its pending requests
        if "ERR_ABORTED" in failure and req.url.startswith(served_app):
            return
        info.failed.append(f"{req.url} {failure}")

    page.on("request", on_request)
    page.on("requestfailed", on_failed)
    page.on("pageerror", lambda exc: info.errors.append(str(exc)))
    yield info
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        info.snap("failure")
    context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call = report
    return report
