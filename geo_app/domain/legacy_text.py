"""Vietnamese text in the pre-Unicode encodings offices still have: TCVN3 (ABC, .VnTime fonts) and VNI-Windows.

TCVN3 is TCVN 5712:1993. Its VN3 table (what the ABC keyboard and the .VnTime fonts produce) holds the lower-case
letters with tones at 0xB5-0xFE, the seven base letters Ă Â Ê Ô Ơ Ư Đ at 0xA1-0xA7 and their lower case at
0xA8-0xAE; upper-case letters with tones were typed with the lower-case codes in an upper-case (.VnTimeH) font.
The VN1 table of the same standard adds codes for the upper-case letters with tones (0x01-0x17, 0x80-0x9F and
the slots VN3 leaves free); decoding here reads VN1, a superset of VN3.

VNI-Windows writes a letter as its base byte followed by one or two mark bytes ("aù" = á, "oà" = ồ), except for
ơ ư đ and the i's, which have bytes of their own.

decode(raw, encoding) and encode(text, encoding) convert one value; detect(values) picks the encoding under
which a set of byte strings reads as Vietnamese.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

LEGACY_ENCODINGS = ("tcvn3", "vni")
ENCODINGS = ("utf-8", "cp1258", "tcvn3", "vni")
ENCODING_NAMES = {
    "utf-8": "UTF-8 (Unicode)",
    "cp1258": "Windows-1258",
    "tcvn3": "TCVN3 (ABC, .VnTime fonts)",
    "vni": "VNI-Windows (VNI-Times fonts)",
}
_ALIASES = {"tcvn": "tcvn3", "tcvn-3": "tcvn3", "abc": "tcvn3", "tcvn5712": "tcvn3", "tcvn5712-1": "tcvn3",
            "vn3": "tcvn3", "vni-windows": "vni", "vniwin": "vni", "vni-win": "vni"}

# ---------------------------------------------------------------- TCVN 5712:1993 (VN1, superset of VN3)

# Byte -> letter for every byte that is not plain ASCII/Latin-1 in TCVN3.
_TCVN3_HIGH = (
    # 0x80-0x9F: VN1 upper-case letters with tones
    "ÀẢÃÁẠẶẬÈẺẼÉẸỆÌỈĨÍỊÒỎÕÓỌỘỜỞỠỚỢÙỦŨ"
    # 0xA0-0xBF
    "\u00a0ĂÂÊÔƠƯĐăâêôơưđẰ\u0300\u0309\u0303\u0301\u0323àảãáạẲằẳẵắẴ"
    # 0xC0-0xDF
    "ẮẦẨẪẤỀặầẩẫấậèỂẻẽéẹềểễếệìỉỄẾỒĩíịò"
    # 0xE0-0xFF
    "ỔỏõóọồổỗốộờởỡớợùỖủũúụừửữứựỳỷỹýỵỐ"
)
_TCVN3_LOW = {0x01: "Ú", 0x02: "Ụ", 0x04: "Ừ", 0x05: "Ử", 0x06: "Ữ", 0x11: "Ứ", 0x12: "Ự", 0x13: "Ỳ", 0x14: "Ỷ",
              0x15: "Ỹ", 0x16: "Ý", 0x17: "Ỵ"}
_TCVN3_DECODE: dict[int, str] = {b: chr(b) for b in range(0x80)}
_TCVN3_DECODE.update(_TCVN3_LOW)
_TCVN3_DECODE.update({0x80 + i: ch for i, ch in enumerate(_TCVN3_HIGH)})
_TCVN3_ENCODE: dict[str, int] = {ch: b for b, ch in _TCVN3_DECODE.items()
                                 if b >= 0x80 or b in _TCVN3_LOW}
_TCVN3_ENCODE.update({chr(b): b for b in range(0x80) if b not in _TCVN3_LOW})

# ---------------------------------------------------------------- VNI-Windows

# Unicode letter -> VNI bytes (as Latin-1 text), upper case; lower case is the Latin-1 lower case of both.
_VNI_UPPER = {
    "Á": "AÙ", "À": "AØ", "Ả": "AÛ", "Ã": "AÕ", "Ạ": "AÏ",
    "Â": "AÂ", "Ấ": "AÁ", "Ầ": "AÀ", "Ẩ": "AÅ", "Ẫ": "AÃ", "Ậ": "AÄ",
    "Ă": "AÊ", "Ắ": "AÉ", "Ằ": "AÈ", "Ẳ": "AÚ", "Ẵ": "AÜ", "Ặ": "AË",
    "É": "EÙ", "È": "EØ", "Ẻ": "EÛ", "Ẽ": "EÕ", "Ẹ": "EÏ",
    "Ê": "EÂ", "Ế": "EÁ", "Ề": "EÀ", "Ể": "EÅ", "Ễ": "EÃ", "Ệ": "EÄ",
    "Ó": "OÙ", "Ò": "OØ", "Ỏ": "OÛ", "Õ": "OÕ", "Ọ": "OÏ",
    "Ô": "OÂ", "Ố": "OÁ", "Ồ": "OÀ", "Ổ": "OÅ", "Ỗ": "OÃ", "Ộ": "OÄ",
    "Ơ": "Ô", "Ớ": "ÔÙ", "Ờ": "ÔØ", "Ở": "ÔÛ", "Ỡ": "ÔÕ", "Ợ": "ÔÏ",
    "Ú": "UÙ", "Ù": "UØ", "Ủ": "UÛ", "Ũ": "UÕ", "Ụ": "UÏ",
    "Ư": "Ö", "Ứ": "ÖÙ", "Ừ": "ÖØ", "Ử": "ÖÛ", "Ữ": "ÖÕ", "Ự": "ÖÏ",
    "Í": "Í", "Ì": "Ì", "Ỉ": "Æ", "Ĩ": "Ó", "Ị": "Ò",
    "Ý": "YÙ", "Ỳ": "YØ", "Ỷ": "YÛ", "Ỹ": "YÕ", "Ỵ": "Î",
    "Đ": "Ñ",
}
_VNI_ENCODE: dict[str, str] = {**_VNI_UPPER, **{k.lower(): v.lower() for k, v in _VNI_UPPER.items()}}
_VNI_DECODE: dict[str, str] = {v: k for k, v in _VNI_ENCODE.items()}
_VNI_PATTERN = re.compile("|".join(re.escape(s) for s in sorted(_VNI_DECODE, key=len, reverse=True)))


# ---------------------------------------------------------------- decoding and encoding

def canonical_encoding(label: str | None) -> str | None:
    """'TCVN3', 'abc', 'VNI-Windows' -> 'tcvn3' / 'vni'; other labels unchanged (lower case), None for None."""
    if label is None:
        return None
    text = label.strip().lower().replace("_", "-")
    return _ALIASES.get(text, text)


def decode(raw: bytes, encoding: str) -> str:
    """Bytes in `encoding` (tcvn3, vni, or any Python codec) as NFC text; undecodable bytes become U+FFFD."""
    encoding = canonical_encoding(encoding) or "utf-8"
    if encoding == "tcvn3":
        text = _uppercase_font(raw, "".join(_TCVN3_DECODE.get(b, "\ufffd") for b in raw))
    elif encoding == "vni":
        text = _VNI_PATTERN.sub(lambda m: _VNI_DECODE[m.group(0)], raw.decode("latin-1"))
    else:
        text = raw.decode(encoding, errors="replace")
    return unicodedata.normalize("NFC", text)


def _uppercase_font(raw: bytes, text: str) -> str:
    """A TCVN3 value whose plain letters are all capitals was typed in a .VnTimeH font: capitalise it all."""
    ascii_letters = [chr(b) for b in raw if chr(b).isascii() and chr(b).isalpha()]
    if len(ascii_letters) >= 2 and all(ch.isupper() for ch in ascii_letters) and text != text.upper():
        return text.upper()
    return text


def encode(text: str, encoding: str) -> bytes:
    """NFC text as bytes in `encoding`; raises UnicodeEncodeError for a character the encoding lacks."""
    encoding = canonical_encoding(encoding) or "utf-8"
    text = unicodedata.normalize("NFC", text)
    if encoding == "tcvn3":
        return bytes(_byte(_TCVN3_ENCODE, text, i, "tcvn3") for i in range(len(text)))
    if encoding == "vni":
        out = []
        for i, ch in enumerate(text):
            if ch in _VNI_ENCODE:
                out.append(_VNI_ENCODE[ch])
            elif ord(ch) < 0x80:
                out.append(ch)
            else:
                raise UnicodeEncodeError("vni", text, i, i + 1, "not a VNI-Windows character")
        return "".join(out).encode("latin-1")
    return text.encode(encoding)


def _byte(table: dict[str, int], text: str, i: int, name: str) -> int:
    if text[i] not in table:
        raise UnicodeEncodeError(name, text, i, i + 1, f"not a {name} character")
    return table[text[i]]


# ---------------------------------------------------------------- how Vietnamese a text looks

_INITIALS = "ngh|ng|gh|gi|kh|nh|ph|qu|th|tr|ch|[bcdđghklmnpqrstvxfjwz]"
# Vowel groups that end in a glide take no final consonant ("ao", "ươi"); the others may ("oan", "ương").
_CLOSED = "uây|ươi|ươu|oai|oay|oao|oeo|uôi|yêu|iêu|uya|uyu|ai|ao|au|ay|âu|ây|eo|êu|ia|iu|oi|ôi|ơi|ua|ui|ưa|ưi|ưu"
_OPEN = "uyê|iê|yê|uô|ươ|oa|oă|oe|oo|uâ|uê|uy|uơ|[aăâeêioôơuưy]"
_FINALS = "ch|ng|nh|[cmnpt]"
_SYLLABLE = re.compile(f"^({_INITIALS})?(?:({_CLOSED})|({_OPEN})({_FINALS})?)$")
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
_SHAPED = set("âêôơưăÂÊÔƠƯĂ")
_WORD = re.compile(r"[^\s\d.,;:/()\-_'\"]+")


def is_vietnamese_word(word: str) -> bool:
    """True for one syllable spelt the Vietnamese way, with at most one tone mark where a tone can sit: on a
    shaped vowel (â, ơ, ...) if there is one, and in a vowel group ending in a glide (ai, oai) not on the glide."""
    word = unicodedata.normalize("NFC", word)
    if not (word.islower() or word.isupper() or (word[0].isupper() and word[1:].islower())):
        return False  # "trÊn": mixed case inside a word is mojibake
    letters = [unicodedata.normalize("NFD", ch) for ch in word.lower()]
    tones = [i for i, parts in enumerate(letters) if any(p in _TONES for p in parts)]
    bases = [unicodedata.normalize("NFC", "".join(p for p in parts if p not in _TONES)) for parts in letters]
    match = _SYLLABLE.match("".join(bases))
    if len(tones) > 1 or not match:
        return False
    if not tones:
        return True
    shaped = [i for i, b in enumerate(bases) if b in _SHAPED]
    if shaped:
        return tones[0] in shaped
    closed = match.group(2)
    return not closed or tones[0] == match.end(2) - 2


def oddness(text: str, known: frozenset[str] = frozenset()) -> tuple[int, int, int]:
    """(odd words, known words, Vietnamese words) among the words of `text` that hold a non-ASCII letter.

    Odd: not a Vietnamese syllable. Known: in `known` (lower case), e.g. the syllables of the GSO unit names.
    """
    bad = hits = good = 0
    for word in _WORD.findall(text):
        if word.isascii():
            continue
        if is_vietnamese_word(word):
            good += 1
            hits += word.lower() in known
        else:
            bad += 1
    return bad, hits, good


@dataclass(frozen=True)
class Detection:
    """The encoding chosen for a set of values, and how its words scored."""

    encoding: str
    odd_words: int
    known_words: int
    good_words: int


def detect(values: Iterable[bytes], candidates: tuple[str, ...] = ENCODINGS,
           known: frozenset[str] = frozenset()) -> Detection:
    """The candidate under which the values read most like Vietnamese.

    Fewest odd words wins, then most known words, then most Vietnamese words; ties go to the earlier candidate.
    UTF-8 (when a candidate) wins outright when every value decodes as UTF-8: legacy 8-bit text almost never does.
    """
    values = [v for v in values if v]
    if "utf-8" in candidates:
        try:
            return Detection("utf-8", *oddness(" ".join(v.decode("utf-8") for v in values), known))
        except UnicodeDecodeError:
            candidates = tuple(c for c in candidates if c != "utf-8")
    scored = [Detection(c, *oddness(" ".join(decode(v, c) for v in values), known)) for c in candidates]
    return min(scored, key=lambda d: (d.odd_words, -d.known_words, -d.good_words))
