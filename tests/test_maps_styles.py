"""Colours, classes and legends (geo_core20.maps.styles)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo_core20 import schema
from geo_core20.maps import classify, palette, styles


def _luminance(hex_colour: str) -> float:
    r, g, b = (int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


@pytest.mark.parametrize("palette", [palette.DECILE_COLOURS, palette.SCORE_COLOURS])
def test_most_deprived_class_is_darkest_and_lightness_rises(palette):
    lum = [_luminance(c) for c in palette]
    assert lum == sorted(lum), "each class must be lighter than the more deprived one before it"
    assert lum[0] < 0.05 and lum[-1] > 0.7


def test_decile_index_and_missing_values():
    classes = styles.decile_classes(schema.IMD_DECILE)
    idx = classes.find_bin(pd.Series([1, 2, 10, None, 11, 0]))
    assert idx.tolist() == [0, 1, 9, -1, -1, -1]
    colours = classes.colour(pd.Series([1, None]))
    assert colours.tolist() == [palette.DECILE_COLOURS[0], palette.NO_DATA_COLOUR]


def test_every_shading_is_known_and_unknown_is_refused():
    assert schema.IMD_DECILE in styles.SHADINGS and schema.IMD_SCORE in styles.SHADINGS
    assert all(f"{d}_decile" in styles.SHADINGS for d in schema.DOMAINS)
    with pytest.raises(ValueError, match="unknown shading"):
        styles.check_shade("imd_rank")


def test_score_breaks_find_clear_clusters():
    scores = np.concatenate([np.full(50, 5.0), np.full(50, 30.0), np.full(50, 70.0)])
    upper = styles.score_breaks(scores, k=3)
    assert upper == (5.0, 30.0, 70.0)


def test_score_breaks_are_computed_once_per_distinct_scores():
    rng = np.random.default_rng(6)
    scores = rng.gamma(2.0, 10.0, 3000)
    styles._score_breaks_cached.cache_clear()
    first = styles.score_breaks(scores)
    again = styles.score_breaks(pd.Series(scores.copy()))  # same values, another object
    info = styles._score_breaks_cached.cache_info()
    assert again == first and (info.misses, info.hits) == (1, 1)
    changed = scores.copy()
    changed[0] += 500.0
    assert styles.score_breaks(changed)[-1] == pytest.approx(changed.max()), "new scores, new breaks"
    assert styles._score_breaks_cached.cache_info().misses == 2


def test_score_classes_put_highest_scores_in_darkest_class_with_inclusive_upper_bounds():
    classes = styles._score_classes_cached((10.0, 20.0, 40.0), "", 3)
    idx = classes.find_bin(np.array([1.0, 10.0, 10.01, 20.0, 39.0, 40.0, 55.0, np.nan]))
    # 3 classes: index 0 = (20, 40] and above, 1 = (10, 20], 2 = up to 10
    assert idx.tolist() == [2, 2, 1, 1, 0, 0, 0, -1]
    assert classes.labels[0].startswith("over 20.0") and classes.labels[-1] == "up to 10.0"
    assert "natural breaks" in classes.note


def test_score_shading_needs_the_national_atlas():
    with pytest.raises(ValueError, match="national atlas"):
        styles.classes_for(schema.IMD_SCORE)


def test_legend_counts_and_escaping():
    classes = styles.decile_classes(schema.IMD_DECILE, "IoD2025 (LSOA 2021)")
    legend = classes.legend(pd.Series([1, 1, 2, 10]), core20_outline=True,
                            area_name='<img src=x onerror="alert(1)">')
    assert [e.count for e in legend.entries][:3] == [2, 1, 0] and sum(e.count for e in legend.entries) == 4
    html = classify.legend_html(legend)
    assert "<img" not in html and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert "1 (most deprived 10%)" in html and "Core20 LSOA" in html
    assert "IoD2025 (LSOA 2021)" in html


def test_real_score_classes(atlas2025):
    classes = styles.classes_for(schema.IMD_SCORE, atlas2025, "IoD2025")
    idx = classes.find_bin(atlas2025[schema.IMD_SCORE])
    assert (idx >= 0).all()
    # the most deprived LSOA (rank 1) is in the darkest class, the least deprived in the lightest
    by_rank = atlas2025.sort_values(schema.IMD_RANK)
    first, last = classes.find_bin(by_rank[schema.IMD_SCORE].iloc[[0, -1]])
    assert first == 0 and last == len(classes.colours) - 1
    assert classes.upper[-1] == pytest.approx(atlas2025[schema.IMD_SCORE].max())
