"""The area profile (HTML, PDF) and the slide deck on real data: numbers checked against the
`summary` and `focus` commands, files opened and read back."""

from __future__ import annotations

import base64
import io
import re
from html.parser import HTMLParser

import pandas as pd
import pypdf
import pytest
from PIL import Image
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE

from geo_core20 import cli, plans, siting
from geo_core20.exports import ExportError, profile, report

ICB = "E54000036"  # NHS Cornwall and the Isles of Scilly ICB: coastal, small
PLAN_NAME = "<b>Pharmacies & Core20</b>"


def _cli_csv(tmp_path, *args: str) -> pd.DataFrame:
    out = tmp_path / f"{args[0]}.csv"
    argv = [*args, "--vintage", "2025", "--level", "icb", "--format", "csv", "--output", str(out)]
    assert cli.main(argv) == 0
    return pd.read_csv(out)


@pytest.fixture(scope="module")
def store(tmp_path_factory, atlas2025):
    """A private plan store holding one real plan for the ICB (MCLP, 3 pharmacies, 3 km)."""
    st = plans.PlanStore(tmp_path_factory.mktemp("plans") / "plans.sqlite")
    result = siting.plan("2025", "icb", ICB, target="core20", site_types=("pharmacy",), radius_km=3, k=3,
                         curve_max_k=4)
    st.save(result, PLAN_NAME)
    return st


@pytest.fixture(scope="module")
def prof(store):
    return profile.build_profile("2025", "icb", ICB, focus="hypertension", store=store)


@pytest.fixture(scope="module")
def html(prof):
    return report.report_bytes(prof, "html").decode("utf-8")


@pytest.fixture(scope="module")
def pdf(prof):
    return pypdf.PdfReader(io.BytesIO(report.report_bytes(prof, "pdf")))


@pytest.fixture(scope="module")
def deck(prof):
    return Presentation(io.BytesIO(report.report_bytes(prof, "pptx")))


def test_profile_numbers_are_the_summary_commands(prof, tmp_path):
    row = _cli_csv(tmp_path, "summary").set_index("area_code").loc[ICB]
    for col in ("lsoas", "population", "core20_lsoas", "core20_population"):
        assert prof.summary[col] == row[col], col
    assert prof.summary["core20_population_pct"] == pytest.approx(row["core20_population_pct"], abs=1e-9)
    assert prof.area_name == row["area_name"]
    figures = dict(prof.key_figures())
    assert figures["Population"] == f"{int(row['population']):,}"
    assert figures["Core20 share of population"] == f"{row['core20_population_pct']:.1%}"
    # the comparison rows: this ICB, its NHS region, England (England's row is the england summary)
    assert prof.comparison["scope"].tolist() == ["area", "parent", "England"]
    assert prof.comparison.iloc[2]["lsoas"] == 33_755
    assert prof.comparison.iloc[2]["core20_lsoas"] == 6_751


def test_profile_focus_numbers_are_the_focus_commands(prof, tmp_path):
    row = _cli_csv(tmp_path, "focus", "--focus", "hypertension").set_index("area_code").loc[ICB]
    assert prof.focus_row["target_population"] == pytest.approx(row["target_population"], rel=1e-9)
    figures = dict(prof.focus_figures())
    assert figures["Of whom in Core20 LSOAs"] == f"{row['core20_target_population']:,.0f}"


def test_profile_picks_the_latest_saved_plan_of_the_area(prof, store):
    assert prof.plan_name == PLAN_NAME
    assert prof.plan["request"]["area_code"] == ICB
    assert len(prof.map_makers()) == 4  # IMD deciles, coastal (Cornwall is coastal), focus, the plan
    none = profile.build_profile("2025", "icb", "E54000008", plan="latest", store=store)
    assert none.plan is None and len(none.map_makers()) == 2


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.text: list[str] = []
        self.imgs: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "img":
            self.imgs.append(dict(attrs)["src"])

    def handle_data(self, data):
        self.text.append(data)


def test_html_is_self_contained_escaped_and_shows_the_figures(html, prof):
    parser = _Collect()
    parser.feed(html)
    text = " ".join(parser.text)
    assert prof.area_name in text
    assert f"{prof.summary['population']:,}" in text and f"{prof.summary['core20_lsoas']:,}" in text
    assert "Methods and sources" in text and "Open Government Licence" in text
    # the plan's name is shown as text, never as markup
    assert PLAN_NAME in text and "b" not in parser.tags
    assert "&lt;b&gt;Pharmacies &amp; Core20&lt;/b&gt;" in html
    # every image inlined (no network, no local files): 4 maps (PNG); decile, focus, coverage charts (SVG)
    assert all(src.startswith("data:image/") for src in parser.imgs)
    kinds = [re.match(r"data:(image/[a-z+]+);", s).group(1) for s in parser.imgs]
    assert kinds.count("image/png") == 4 and kinds.count("image/svg+xml") == 3
    first = Image.open(io.BytesIO(base64.b64decode(parser.imgs[0].split(",", 1)[1])))
    assert first.size[0] > 2000


def test_pdf_pages_and_text(pdf, prof):
    # title + figures, 4 maps, decile profile, focus, plan, methods and sources
    assert len(pdf.pages) == 9
    first = pdf.pages[0].extract_text()
    assert "Cornwall" in first and "Core20PLUS5 area profile" in first
    assert f"{prof.summary['population']:,}" in first
    assert f"{prof.summary['core20_population']:,}" in first
    assert "South West" in first  # the parent NHS region in the comparison
    text = " ".join(p.extract_text() for p in pdf.pages)
    assert "Hypertension case-finding" in text
    assert "Open Government Licence" in text and "Royal Mail" in text


def test_deck_slides_pictures_and_real_text(deck, prof):
    slides = list(deck.slides)
    # title, key figures, 4 maps, decile profile, focus, plan, sources
    assert len(slides) == 10
    assert slides[0].shapes.title.text == prof.title

    def texts(slide) -> str:
        out = []
        for sh in slide.shapes:
            if sh.has_text_frame:
                out.append(sh.text_frame.text)
            if sh.has_table:
                out.extend(c.text for r in sh.table.rows for c in r.cells)
        return "\n".join(out)

    figures = texts(slides[1])
    assert f"{prof.summary['population']:,}" in figures and f"{prof.summary['core20_lsoas']:,}" in figures
    map_slides = slides[2:6]
    for s in map_slides:
        pics = [sh for sh in s.shapes if sh.shape_type == MSO_SHAPE_TYPE.PICTURE]
        assert len(pics) == 1
        swatches = [sh for sh in s.shapes if sh.shape_type == MSO_SHAPE_TYPE.AUTO_SHAPE]
        assert len(swatches) >= 2  # legend swatches are shapes, not pixels
    first_map = texts(map_slides[0])
    assert "IMD decile" in first_map and "1 (most deprived 10%) (11)" in first_map
    assert f"Core20 LSOAs: {prof.summary['core20_lsoas']:,}" in first_map
    assert "Coastal (237)" in texts(map_slides[1])
    assert "quintiles" in map_slides[2].notes_slide.notes_text_frame.text
    assert "Chosen outreach site (3)" in texts(map_slides[3])
    focus_slide = slides[7]
    assert "Hypertension" in focus_slide.shapes.title.text
    assert sum(sh.shape_type == MSO_SHAPE_TYPE.PICTURE for sh in focus_slide.shapes) == 1
    assert "Open Government Licence" in texts(slides[-1])


def test_report_cli_writes_and_refuses_bad_input(tmp_path, atlas2025, capsys):
    out = tmp_path / "eng.html"
    assert cli.main(["report", "--vintage", "2025", "--level", "england", "--format", "html", "--no-plan",
                     "--out", str(out)]) == 0
    assert "England: Core20PLUS5 area profile" in out.read_text(encoding="utf-8")
    assert cli.main(["report", "--level", "icb", "--area", "E54999999", "--format", "pdf",
                     "--out", str(tmp_path / "x.pdf")]) == 2
    assert "valid ICB codes include" in capsys.readouterr().err
    assert cli.main(["report", "--level", "icb", "--area", ICB, "--format", "pdf", "--focus", "gout",
                     "--out", str(tmp_path / "x.pdf")]) == 2
    assert "hypertension" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["report", "--level", "icb", "--area", ICB, "--format", "docx", "--out", "x.docx"])
    assert "'html', 'pdf', 'pptx'" in capsys.readouterr().err
    assert not (tmp_path / "x.pdf").exists()
    with pytest.raises(ExportError, match="html, pdf, pptx"):
        report.report_bytes(None, "docx")
