"""Status files for the admin tests: rows in the project's CSV schema that change some communes' level."""
from __future__ import annotations

import io

import pandas as pd

from geo_app.settings import DEFAULT_DATA_DIR

YEAR = 2024
XSS = '<img src=x onerror="alert(\'xss\')"><script>alert("xss")</script>'
CRITERIA = [f"c{i}" for i in range(1, 20)]


def demo_rows() -> pd.DataFrame:
    return pd.read_csv(DEFAULT_DATA_DIR / "status" / "demo-communes.csv", dtype=str, keep_default_na=False)


def promotable(count: int = 4) -> list[str]:
    """Codes of xã not yet at NTM in YEAR that have the most criteria met (the ones an office would promote)."""
    rows = demo_rows()
    rows = rows[(rows["year"] == str(YEAR)) & (rows["level"] == "chua_dat")].copy()
    rows["met"] = rows[CRITERIA].apply(lambda r: sum(v == "1" for v in r), axis=1)
    return list(rows.sort_values(["met", "ward_code"], ascending=[False, True])["ward_code"][:count])


def promotion_csv(codes: list[str], note: str = "Báo cáo 123/BC-VPĐP", provenance: str = "official") -> bytes:
    """A status CSV (project schema) in which `codes` reach NTM in YEAR with all 19 criteria."""
    rows = demo_rows()
    rows = rows[(rows["year"] == str(YEAR)) & rows["ward_code"].isin(codes)].copy()
    assert len(rows) == len(codes)
    rows[CRITERIA] = "1"
    rows["level"] = "ntm"
    rows["year_recognised"] = str(YEAR)
    rows["note"] = note
    rows["provenance"] = provenance
    rows["source_url"] = ""
    out = io.StringIO()
    rows.to_csv(out, index=False)
    return out.getvalue().encode("utf-8")
