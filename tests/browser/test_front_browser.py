"""Two app processes behind the caching front (nginx), sharing one PostgreSQL plan store.

What README's Deployment section describes, run for real: `python -m geo_core20.front` with two
replicas and GEO_CORE20_PLAN_STORE on a throwaway PostgreSQL cluster. A browser pinned to one replica
saves a plan; a browser pinned to the other opens it by its ?plan= link; both save at once and the
store keeps both. Streamlit's frontend files come from nginx, not from a replica.
"""

from __future__ import annotations

import re
import urllib.request

import pytest
from conftest import CHROMIUM_ARGS, VIEWPORT

from geo_core20 import front
from geo_core20.plan_store_pg import PostgresPlanStore

pytestmark = pytest.mark.browser
RUTLAND = "E06000017"  # a small area: plans take a second
WAIT = 120_000


@pytest.fixture(scope="module")
def two_replicas(pg_url, tmp_path_factory):
    if front.nginx_binary() is None:
        pytest.skip("nginx not installed: apt-get install nginx")
    run_dir = tmp_path_factory.mktemp("front")
    with front.running(2, run_dir=run_dir, env={"GEO_CORE20_PLAN_STORE": pg_url}) as f:
        yield f


def _get(url: str, cookie: str | None = None):
    req = urllib.request.Request(url, headers={"Cookie": f"{front.COOKIE}={cookie}"} if cookie else {})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, dict(r.headers), r.read()


def test_frontend_files_come_from_nginx_and_sessions_stick(two_replicas):
    f = two_replicas
    status, headers, body = _get(f.url + "/")
    assert status == 200 and front.COOKIE in headers.get("Set-Cookie", "")
    script = re.search(rb'src="\.?/?(static/js/[^"]+\.js)"', body).group(1).decode()
    status, headers, _ = _get(f"{f.url}/{script}")
    assert status == 200 and front.REPLICA_HEADER not in headers  # nginx answered, no replica asked
    assert "immutable" in headers.get("Cache-Control", "")
    pins = f.pinned_cookies()
    assert sorted(pins) == sorted(f"127.0.0.1:{p}" for p in f.replica_ports)
    for replica, cookie in pins.items():
        for _ in range(5):  # every request with the cookie reaches the same replica
            assert _get(f"{f.url}/_stcore/health", cookie)[1][front.REPLICA_HEADER] == replica


def _planner(browser, f: front.Front, cookie: str):
    context = browser.new_context(viewport=VIEWPORT)
    context.add_cookies([{"name": front.COOKIE, "value": cookie, "url": f.url}])
    page = context.new_page()
    return context, page


def _choose(page, f: front.Front) -> None:
    page.goto(f"{f.url}/Outreach_planner?vintage=2025&level=lad&area={RUTLAND}", timeout=WAIT)
    page.get_by_role("button", name="Choose sites").wait_for(timeout=WAIT)
    page.get_by_role("button", name="Choose sites").click()
    page.get_by_text(re.compile(r"Chose \d+ sites?")).first.wait_for(timeout=WAIT)


def _saved_id(page) -> str:
    msg = page.locator("[data-testid='stAlert']", has_text="Saved plan").first
    msg.wait_for(timeout=WAIT)
    return re.search(r"id\s+([a-z0-9]{10})", msg.inner_text()).group(1)


def test_a_plan_saved_through_one_replica_opens_through_the_other(two_replicas, pg_url, browser):
    (one, cookie_one), (two, cookie_two) = sorted(two_replicas.pinned_cookies().items())
    ctx_a, a = _planner(browser, two_replicas, cookie_one)
    ctx_b, b = _planner(browser, two_replicas, cookie_two)
    try:
        served = {}
        a.on("response", lambda r: served.setdefault("a", r.headers.get(front.REPLICA_HEADER.lower())))
        b.on("response", lambda r: served.setdefault("b", r.headers.get(front.REPLICA_HEADER.lower())))
        _choose(a, two_replicas)
        a.get_by_label("Plan name").fill("Saved on replica one")
        a.get_by_role("button", name="Save plan").click()
        pid = _saved_id(a)
        b.goto(f"{two_replicas.url}/Outreach_planner?plan={pid}", timeout=WAIT)
        msg = b.locator("[data-testid='stAlert']", has_text="Saved plan").first
        msg.wait_for(timeout=WAIT)
        assert "Saved on replica one" in msg.inner_text()
        assert (served["a"], served["b"]) == (one, two)  # each browser was served by its own replica

        # both save at once: the shared store keeps both
        _choose(a, two_replicas)
        _choose(b, two_replicas)
        a.get_by_label("Plan name").fill("Concurrent A")
        b.get_by_label("Plan name").fill("Concurrent B")
        a.get_by_role("button", name="Save plan").click()
        b.get_by_role("button", name="Save plan").click()
        ids = {_saved_id(a), _saved_id(b)}
        store = PostgresPlanStore(pg_url)
        names = {store.get(i).name for i in ids}
        assert names == {"Concurrent A", "Concurrent B"}
        assert store.get(pid).name == "Saved on replica one"
    finally:
        ctx_a.close()
        ctx_b.close()


def test_front_config_hashes_a_cookie_not_the_address(tmp_path):
    text = front.render_config(tmp_path, 8500, [8601, 8602])
    assert "hash $gc20_key consistent" in text and "ip_hash" not in text
    assert "server 127.0.0.1:8601" in text and "server 127.0.0.1:8602" in text
    assert "/_stcore/stream" in text and "Upgrade $http_upgrade" in text


@pytest.fixture(scope="module")
def browser():
    from pathlib import Path

    from playwright.sync_api import sync_playwright

    if not Path("/usr/bin/chromium").exists():
        pytest.skip("/usr/bin/chromium not found: apt-get install chromium")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
