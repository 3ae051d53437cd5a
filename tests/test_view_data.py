"""One view record (``maps.view.ViewData``) per view, read by the interactive map and every print map."""

from __future__ import annotations

import collections
import functools
import inspect

import shapely

from geo_core20 import atlas, schema
from geo_core20.exports import print_maps
from geo_core20.maps import outreach, view

CORNWALL = "E54000036"  # NHS Cornwall and the Isles of Scilly ICB
HULL = "E06000010"  # Kingston upon Hull (local authority)
MANCHESTER = "E08000003"


def _near(outlines, bounds, pad: float, drop: str):
    """The surrounding areas as each map chose them before the record (the reference)."""
    minx, miny, maxx, maxy = bounds
    box = shapely.box(minx - (maxx - minx) * pad, miny - (maxy - miny) * pad,
                      maxx + (maxx - minx) * pad, maxy + (maxy - miny) * pad)
    return sorted(c for c in outlines[outlines.intersects(box)].index if c != drop)


def test_one_record_per_view_shared_by_the_interactive_and_print_maps(atlas2025):
    vd = view.view_data("2025", "icb", CORNWALL, schema.IMD_DECILE)
    assert view.build_view_map("2025", "icb", CORNWALL, schema.IMD_DECILE).data is vd
    assert print_maps.print_view("2025", "icb", CORNWALL) is vd
    assert vd.area_name == "NHS Cornwall and the Isles of Scilly Integrated Care Board"
    assert len(vd.frame) == vd.summary["lsoas"] == 337 and vd.summary["core20_lsoas"] == 36
    assert sum(e.count for e in vd.legend.entries) == 337 and vd.legend.area_name == vd.area_name
    # another shading or outline is another view; England is keyed without an area code
    assert view.view_data("2025", "icb", CORNWALL, schema.IMD_SCORE) is not vd
    assert view.view_data("2025", "england", "ignored") is view.view_data("2025", "england", None)


def test_context_padding_is_the_renderers_choice_on_one_record(atlas2025):
    vd = view.view_data("2025", "lad", MANCHESTER)
    outlines = view.level_outlines("2025", "lad")
    app = sorted(vd.context_within(view.CONTEXT_PAD).index)
    printed = sorted(vd.context_within(view.PRINT_CONTEXT_PAD).index)
    assert app == _near(outlines, vd.bounds, 0.35, MANCHESTER)
    assert printed == _near(outlines, vd.bounds, 0.6, MANCHESTER)
    assert set(app) < set(printed) and MANCHESTER not in printed  # Salford, Trafford... and more in print


def _count_atlas_calls(monkeypatch) -> collections.Counter:
    """Wrap every public function of geo_core20.atlas with a counter of calls from outside it."""
    counts: collections.Counter = collections.Counter()
    for name, fn in list(vars(atlas).items()):
        if name.startswith("_") or not inspect.isfunction(fn) or fn.__module__ != atlas.__name__:
            continue

        def counted(*args, _fn=fn, _name=name, **kwargs):
            counts[_name] += 1
            return _fn(*args, **kwargs)

        monkeypatch.setattr(atlas, name, functools.wraps(fn)(counted))
    return counts


def test_a_focus_map_print_enters_the_atlas_twice(monkeypatch, atlas2025):
    """The export panel's focus-map print resolves the vintage into the atlas once, for the view
    record (the atlas and its display geometry); the map itself reads only the record. Before the
    record, the same print entered the atlas 5 times (7 with cold area outlines)."""
    from geo_core20.ui import cache as ui_cache

    view.level_outlines("2025", "lad")  # area outlines and the locator's England: cached per process
    view.level_outlines("2025", "region")
    view._view_data.cache_clear()  # a view not printed before
    counts = _count_atlas_calls(monkeypatch)
    svg = ui_cache.focus_map_bytes.__wrapped__("2025", "lad", HULL, "hypertension",
                                                    "undiagnosed_per_1000", "svg")
    assert b"Kingston upon Hull" in svg
    assert dict(counts) == {"load_atlas": 1, "load_display_geometry": 1}
    # a second map of the same view (any print or the interactive map) does not enter it at all
    counts.clear()
    print_maps.coastal_map(print_maps.print_view("2025", "lad", HULL))
    view.build_view_map("2025", "lad", HULL, schema.IMD_DECILE)
    assert sum(counts.values()) == 0


def test_print_plan_sites_have_the_apps_colours():
    plan = {"siting": {"chosen": [{"rank": 1, "name": "A", "lon": -4.7, "lat": 50.4}],
                       "fixed": [{"name": "B", "lon": -5.0, "lat": 50.2}]}}
    fixed, chosen = print_maps.plan_points(plan)
    assert (fixed.colour, chosen.colour) == (outreach.FIXED_COLOUR, outreach.CHOSEN_COLOUR)
