"""Local map assets: npm pins, idempotent install, URL rewriting, standalone HTML."""

from __future__ import annotations

import json
import os
import re
import stat
import sys
from pathlib import Path

import folium
import folium.plugins
import pytest

from geo_core20.maps import assets
from geo_core20.maps.elements import Attribution


def test_package_json_pins_exact_versions():
    deps = assets.package_json()["dependencies"]
    assert deps == dict(sorted(assets.NPM_PACKAGES.items()))
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", v) for v in deps.values()), "no ranges: exact pins only"
    assert deps["leaflet"].startswith("1.9.")


def test_every_local_file_belongs_to_a_pinned_package_or_is_generated():
    for name, rel in assets.LOCAL_FILES.items():
        if rel.startswith("node_modules/"):
            parts = rel.split("/")
            pkg = "/".join(parts[1:3]) if parts[1].startswith("@") else parts[1]
            assert pkg in assets.NPM_PACKAGES, f"{name}: {pkg} is not in NPM_PACKAGES"
        else:
            assert rel in assets._GENERATED, f"{name}: {rel} is neither npm nor generated"


def test_maps_and_plugins_load_nothing_from_other_hosts():
    assets.use_local_assets()
    m = folium.Map(tiles=None)
    folium.plugins.Fullscreen().add_to(m)
    folium.plugins.MarkerCluster().add_to(m)
    folium.Marker([52, -1], icon=folium.Icon(prefix="fa", icon="house")).add_to(m)
    assert assets.external_urls(m) == []
    urls = assets.asset_urls(m)
    assert f"{assets.STATIC_URL}/node_modules/leaflet/dist/leaflet.js" in urls
    html = m.get_root().render()
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assets.use_local_assets()  # idempotent
    assert assets.external_urls(m) == []


def test_maps_without_markers_leave_icon_assets_out_per_map():
    assets.use_local_assets()
    plain = folium.Map(tiles=None)
    folium.plugins.Fullscreen().add_to(plain)
    folium.GeoJson({"type": "FeatureCollection", "features": []}).add_to(plain)
    folium.CircleMarker([52, -1], radius=3, tooltip="tip").add_to(plain)
    marked = folium.Map(tiles=None)
    cluster = folium.plugins.MarkerCluster().add_to(marked)
    folium.CircleMarker([52, -1], radius=3, popup=folium.Popup("site")).add_to(cluster)
    iconned = folium.Map(tiles=None)
    folium.Marker([52, -1], icon=folium.Icon(prefix="fa", icon="house")).add_to(iconned)
    class_js = list(folium.Map.default_js)
    icon_urls = {assets.local_url(n) for n in assets.ICON_ONLY}

    for m in (plain, marked, iconned):
        assert assets.trim_unused_assets(m) is m
    css, js = assets.asset_links(plain)
    assert not icon_urls & set(css + js)
    assert js == [assets.local_url("leaflet"), assets.local_url("Control.Fullscreen.js")]
    assert not icon_urls & set(re.findall(r'(?:src|href)="([^"]+)"', plain.get_root().render()))
    # the outreach planner's clustered sites have popups (built with jQuery): everything stays
    css, js = assets.asset_links(marked)
    assert {assets.local_url(n) for n in ("jquery", "awesome_markers", "markerclusterjs")} <= set(js)
    assert assets.local_url("awesome_markers_font_css") in css
    assert icon_urls <= set(assets.asset_urls(iconned))
    # other maps, built later, still get folium's full lists: nothing changed globally
    assert folium.Map.default_js == class_js and assets.local_url("jquery") in dict(class_js).values()
    assert icon_urls <= set(assets.asset_urls(folium.Map(tiles=None)))


def _fake_npm(tmp_path: Path) -> Path:
    """An `npm` that 'installs' every dependency of package.json and counts its calls."""
    script = tmp_path / "bin" / "npm"
    script.parent.mkdir()
    script.write_text(f"""#!{sys.executable}
import json, sys, pathlib
prefix = pathlib.Path(sys.argv[sys.argv.index("--prefix") + 1])
calls = prefix / "npm_calls"
calls.write_text(str(int(calls.read_text()) + 1 if calls.exists() else 1))
deps = json.loads((prefix / "package.json").read_text())["dependencies"]
files = json.loads({json.dumps(json.dumps(assets.LOCAL_FILES))})
for name, version in deps.items():
    d = prefix / "node_modules" / name
    d.mkdir(parents=True, exist_ok=True)
    (d / "package.json").write_text(json.dumps({{"name": name, "version": version}}))
for rel in files.values():
    if rel.startswith("node_modules/"):
        p = prefix / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("/* stub */")
""")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def test_install_static_is_idempotent_and_repairs_wrong_versions(tmp_path, monkeypatch):
    npm = _fake_npm(tmp_path)
    monkeypatch.setenv("PATH", f"{npm.parent}{os.pathsep}{os.environ['PATH']}")
    static = tmp_path / "static"
    assets.install_static(static, quiet=True)
    assert (static / "npm_calls").read_text() == "1"
    assert assets.is_installed(static)
    assert json.loads((static / "package.json").read_text())["dependencies"]["leaflet"] == "1.9.3"
    assert (static / "local/leaflet.awesome.rotate.css").read_text().startswith(".fa-rotate-0")
    assets.install_static(static, quiet=True)
    assert (static / "npm_calls").read_text() == "1", "nothing to do the second time"
    (static / "node_modules/leaflet/package.json").write_text('{"version": "1.9.4"}')
    assert not assets.is_installed(static)
    assets.install_static(static, quiet=True)
    assert (static / "npm_calls").read_text() == "2"
    assert assets.installed_versions(static)["leaflet"] == "1.9.3"


def test_install_static_without_npm_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="npm not found"):
        assets.install_static(tmp_path / "static", quiet=True)


needs_assets = pytest.mark.skipif(not assets.is_installed(),
                                  reason="map assets not installed: run `python -m geo_core20 assets`")


@needs_assets
def test_standalone_html_inlines_every_asset_and_keeps_markup_safe():
    assets.use_local_assets()
    m = folium.Map(tiles=None)
    folium.plugins.Fullscreen().add_to(m)
    m.add_child(Attribution(["<b>ok</b></script><script>alert(1)</script>"]))
    html = assets.standalone_html(m)
    assert assets.STATIC_URL not in html
    assert not re.search(r'<(script|link)[^>]+(src|href)="', html), "every script and stylesheet inlined"
    assert "L.Control.FullScreen" in html or "fullscreen" in html.lower()
    # the attribution's text cannot close the script element it sits in
    assert "</script><script>alert(1)" not in html
    # no jQuery/Bootstrap/Font Awesome in a map without markers
    assert "jQuery v3.7.1" not in html and "Font Awesome Free" not in html


@needs_assets
def test_standalone_html_keeps_icon_assets_when_markers_need_them():
    assets.use_local_assets()
    m = folium.Map(tiles=None)
    folium.Marker([52, -1], icon=folium.Icon(prefix="fa", icon="house")).add_to(m)
    html = assets.standalone_html(m)
    assert "AwesomeMarkers" in html and "jQuery v3.7.1" in html
    assert "data:font/woff2;base64," in html, "Font Awesome fonts inlined as data URIs"
