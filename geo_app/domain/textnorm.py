"""Vietnamese text helpers: NFC normalisation and tolerant name keys."""
from __future__ import annotations

import re
import unicodedata

# Spelling variants that official lists and GIS layers mix freely.
_VARIANTS = [
    ("qưới", "quới"),
    ("qui", "quy"),
    ("oà", "òa"), ("oá", "óa"), ("oả", "ỏa"), ("oã", "õa"), ("oạ", "ọa"),
    ("uỳ", "ùy"), ("uý", "úy"), ("uỷ", "ủy"), ("uỹ", "ũy"), ("uỵ", "ụy"),
    ("oè", "òe"), ("oé", "óe"), ("oẻ", "ỏe"), ("oẽ", "õe"), ("oẹ", "ọe"),
]
_TYPE_PREFIXES = ("thành phố ", "thị trấn ", "phường ", "huyện ", "tỉnh ", "xã ", "tp. ", "tp ", "tt. ", "tt ")


def nfc(text: object) -> str:
    """Return text as an NFC string with surrounding and doubled spaces removed."""
    if text is None:
        return ""
    s = unicodedata.normalize("NFC", str(text))
    return re.sub(r"\s+", " ", s).strip()


def fold(text: object) -> str:
    """Lower-case, diacritic-free form for searching ("Giồng Trôm" -> "giong trom")."""
    s = unicodedata.normalize("NFD", nfc(text).lower())
    s = "".join(ch for ch in s if unicodedata.category(ch) != "Mn")
    return s.replace("đ", "d")


def strip_type(name: str) -> str:
    """Drop a leading unit type ("Xã ", "Phường ", ...) from a name."""
    s = nfc(name)
    low = s.lower()
    for prefix in _TYPE_PREFIXES:
        if low.startswith(prefix):
            return s[len(prefix):].strip()
    return s


def short_district(name: str) -> str:
    """A district's name on maps: 'Huyện Chợ Lách' -> 'Chợ Lách'; 'Thành phố Bến Tre' -> 'TP Bến Tre' (not the
    province's name alone)."""
    return "TP " + strip_type(name) if nfc(name).lower().startswith("thành phố") else strip_type(name)


def name_key(name: object) -> str:
    """Key for matching unit names across sources, tolerant to known spelling variants."""
    s = strip_type(nfc(name)).lower()
    for old, new in _VARIANTS:
        s = s.replace(old, new)
    s = re.sub(r"^0+(\d)", r"\1", s)  # "Phường 08" == "Phường 8"
    return s
