"""One entry point for reports and map files, shared by the app's download buttons and the CLI.

data = report_bytes(build_profile("2025", "icb", "E54000036"), "pdf")
write_report("2025", "icb", "E54000036", "pptx", "deck.pptx")
"""

from __future__ import annotations

from pathlib import Path

from geo_core20 import schema
from geo_core20.exports import deck
from geo_core20.exports.formats import REPORT_FORMATS, check_format, write_output
from geo_core20.exports.profile import (
    AreaProfile,
    build_profile,
    profile_html,
    profile_pdf,
)


def report_bytes(prof: AreaProfile, fmt: str) -> bytes:
    """The profile as html, pdf or pptx bytes."""
    fmt = check_format(fmt, REPORT_FORMATS, "report type")
    if fmt == "html":
        return profile_html(prof).encode("utf-8")
    if fmt == "pdf":
        return profile_pdf(prof)
    return deck.profile_deck(prof)


def write_report(
    vintage: str,
    level: str,
    area_code: str | None,
    fmt: str,
    out: str | Path,
    *,
    shade: str = schema.IMD_DECILE,
    focus: str | None = None,
    plan: str | dict | None = "latest",
) -> Path:
    """Build the profile of a view and write it as ``fmt`` to ``out``."""
    fmt = check_format(fmt, REPORT_FORMATS, "report type")
    prof = build_profile(vintage, level, area_code, shade=shade, focus=focus, plan=plan)
    return write_output(out, report_bytes(prof, fmt))
