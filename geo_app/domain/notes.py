"""Status notes in the page's language: the fixed phrases of the demo and office files translated, names and
numbers kept (a note an editor wrote in another wording is shown as written)."""
from __future__ import annotations

import re

# Fixed phrases of the status notes (the demo and office files), in the order they are replaced.
NOTE_PHRASES = (
    ("Giá trị minh họa (illustrative), không phải số liệu chính thức", "Illustrative value, not an official figure"),
    ("Giá trị minh họa, không phải số liệu chính thức", "Illustrative value, not an official figure"),
    ("tổng toàn tỉnh 2022 khớp số liệu đã công bố", "the 2022 province total matches the published figures"),
    ("năm công nhận của từng xã là minh họa", "each xã's recognition year is illustrative"),
    ("năm công nhận NTM là minh họa", "the NTM recognition year is illustrative"),
    ("Xã NTM nâng cao đầu tiên của tỉnh", "The province's first advanced NTM xã"),
    ("đã công bố:", "published:"),
)
_NOTE_PATTERNS = (
    (re.compile(r"(\S[^;:]*?) (\d+)/(\d+) xã đạt chuẩn NTM năm (\d{4})"), r"\1: \2/\3 xã NTM in \4"),
    (re.compile(r"Đạt chuẩn NTM năm (\d{4})"), r"NTM since \1"),
)


# Stored wordings shown otherwise in Vietnamese (the demo files' note carried an English word in brackets).
VI_WORDING = (("Giá trị minh họa (illustrative), không phải số liệu chính thức",
               "Giá trị minh họa, không phải số liệu chính thức"),)


def note_text(note: str, lang: str = "vi") -> str:
    """A status note in `lang`: the fixed phrases translated for English, names and numbers kept."""
    if not note:
        return note
    if lang != "en":
        for stored, shown in VI_WORDING:
            note = note.replace(stored, shown)
        return note
    for vi, en in NOTE_PHRASES:
        note = note.replace(vi, en)
    for pattern, repl in _NOTE_PATTERNS:
        note = pattern.sub(repl, note)
    return note
