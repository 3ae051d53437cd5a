"""The explorer's LSOA table filter: free text, IMD deciles and Core20, as one value.

    flt = TableFilter("Birkenhead", deciles=(1, 2))
    shown = flt.apply(view.lsoa_table("2025", "icb", "E54000008"))   # the rows the table shows
    note = flt.describe()                                            # the CSV's note line

The text is searched, case-insensitively and as plain text (not a pattern), in every text
column of the table: LSOA code and name, ward (May 2024), local authority, sub-ICB location,
ICB, ONS region and NHS region, codes and names.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from geo_core20 import schema

SEARCHED = "LSOA code or name, ward, local authority, sub-ICB, ICB or region"
"""What the text is searched in, for the filter's label and placeholder."""


def _text_columns(table: pd.DataFrame) -> list[str]:
    return [c for c in table.columns if pd.api.types.is_string_dtype(table[c]) or table[c].dtype == object]


@dataclass(frozen=True)
class TableFilter:
    """Rows whose text holds ``text``, in ``deciles`` (none = all) and, if asked, Core20 only."""

    text: str = ""
    deciles: tuple[int, ...] = ()
    core20_only: bool = False

    @classmethod
    def of(cls, text: str | None, deciles: Iterable[int] = (), core20_only: bool = False) -> TableFilter:
        """From widget values: the text stripped, the deciles sorted and unique."""
        return cls((text or "").strip(), tuple(sorted({int(d) for d in deciles})), bool(core20_only))

    @property
    def active(self) -> bool:
        return bool(self.text.strip() or self.deciles or self.core20_only)

    def apply(self, table: pd.DataFrame) -> pd.DataFrame:
        """The rows of ``table`` that pass, in their order."""
        shown = table
        needle = self.text.strip().lower()
        if needle:
            hits = table[_text_columns(table)].apply(
                lambda col: col.astype(str).str.lower().str.contains(needle, regex=False))
            shown = shown[hits.any(axis=1)]
        if self.deciles:
            shown = shown[shown[schema.IMD_DECILE].isin(self.deciles)]
        if self.core20_only:
            shown = shown[shown[schema.CORE20].astype(bool)]
        return shown

    def describe(self) -> str:
        """One line for a download's notes: what the rows were filtered by ("" when unfiltered)."""
        if not self.active:
            return ""
        parts = []
        if self.text.strip():
            parts.append(f'text "{self.text.strip()}" in the {SEARCHED}')
        if self.deciles:
            parts.append("IMD decile " + ", ".join(map(str, self.deciles)))
        if self.core20_only:
            parts.append("Core20 LSOAs only")
        return "Filtered as the table: " + "; ".join(parts) + "."


UNFILTERED = TableFilter()

