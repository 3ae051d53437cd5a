"""One classification object for every layer (geo_core20.maps.classify), and its legend beside the map."""

from __future__ import annotations

import warnings

import mapclassify
import numpy as np
import pandas as pd
import pytest

from geo_core20 import hotspots, plus, schema
from geo_core20.maps import classify, palette, plus_maps, styles


def test_quantiles_match_mapclassify_and_classify_any_area():
    rng = np.random.default_rng(3)
    national = rng.gamma(2.0, 5.0, 5000)
    classes = classify.quantiles(national, 5, title="x")
    expected = mapclassify.Quantiles(national, k=5)
    assert classes.upper == pytest.approx(tuple(expected.bins))
    # fitted once, then any area's values go in the national classes (find_bin)
    area = national[:300]
    assert classes.find_bin(area).tolist() == expected.find_bin(area).tolist()
    assert classes.find_bin([national.max() + 10, np.nan]).tolist() == [4, -1]
    assert classes.colour([np.nan])[0] == palette.NO_DATA_COLOUR
    assert sum(classes.counts(national)) == len(national)


def test_few_distinct_values_give_fewer_classes_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        classes = classify.quantiles([1, 1, 1, 2, 2], 5, title="x")
    assert len(classes.colours) == len(classes.labels) == len(classes.upper) == 2
    assert classify.quantiles([np.nan], 5, title="empty").labels == ("no data",)


def test_natural_breaks_come_from_mapclassify_fisher_jenks():
    scores = np.concatenate([np.full(50, 5.0), np.full(50, 30.0), np.full(50, 70.0)])
    assert classify.natural_breaks(scores, 3) == (5.0, 30.0, 70.0)


def test_one_style_object_for_explorer_and_plus_layers():
    # the explorer's shadings and the PLUS layers are the same type with the same methods
    decile = styles.decile_classes(schema.IMD_DECILE)
    count = plus_maps.count_style("points")
    assert isinstance(decile, classify.Classes) and isinstance(count, classify.Classes)
    assert not hasattr(styles, "Classes")  # one home for the type: classify (styles re-exports nothing)
    assert decile.colour([np.nan])[0] == palette.NO_DATA_COLOUR
    assert plus_maps.HOTSPOT_COLOURS[hotspots.NO_DATA] == palette.NO_DATA_COLOUR


def test_flag_and_category_classes():
    flag = classify.flag("Coastal")
    assert flag.find_bin([True, False, None]).tolist() == [0, 1, -1]
    cats = classify.categories(["b", "a", None, "b"], title="Kind")
    assert cats.labels == ("a", "b") and cats.find_bin(["b", "z", None]).tolist() == [1, -1, -1]


def test_legend_counts_no_data_and_html_beside_the_map():
    classes = classify.quantiles(np.arange(1, 11), 5, title="Upload <b>", note="Darker = higher.")
    lgd = classes.legend([1, 2, 10, np.nan], notes=("", "Shown per LSOA."), core20_outline=True,
                         area_name="Leeds", no_data=True)
    assert [e.count for e in lgd.entries] == [2, 0, 0, 0, 1, 1]
    assert lgd.entries[-1].label == "No data" and lgd.entries[-1].colour == palette.NO_DATA_COLOUR
    assert lgd.notes == ("Darker = higher.", "Shown per LSOA.")
    html = classify.legend_html(lgd)
    assert html.startswith('<div class="gc20-legend"') and "<b>" not in html and "Upload &lt;b&gt;" in html
    assert "Core20 LSOA" in html and "Leeds boundary" in html and "(LSOAs in view)" in html
    assert "style=" in html, "inline styles: the page needs no stylesheet"
    frame = classify.legend_frame(lgd)
    assert frame.columns.tolist() == ["colour", "label", "count"] and frame["count"].sum() == 4


def test_real_indicator_classes_are_national_quintiles(atlas2025):
    nat = plus.values(atlas2025, "disability")
    style = plus_maps.layer_style(plus.get("disability"), nat)
    assert style.upper == pytest.approx(tuple(mapclassify.Quantiles(nat.dropna().to_numpy(), k=5).bins))
    assert style.labels[0].startswith("up to ") and style.labels[0].endswith("%")
    assert "national quintiles over all" in style.note
    # any area is classed on the national breaks: Hartlepool's counts are not quintiles of its own
    hartlepool = atlas2025[atlas2025["lad_code"] == "E06000001"]
    counts = style.counts(plus.values(hartlepool, "disability"))
    assert sum(counts) == len(hartlepool) == 57 and max(counts) - min(counts) > 5
    assert isinstance(pd.Series(style.find_bin(nat)).max(), (int, np.integer))
