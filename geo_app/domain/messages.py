"""Interface text without Flask: the gettext catalogs (geo_app/translations) for models and renderers.

Views use Flask-Babel (geo_app.i18n); code below the views takes a `lang` and asks `translator(lang)` for a
gettext function over the same catalogs (Babel's `support.Translations`), so every message lives in one place.
Numbers are formatted by Babel for the language (`number`, `percent`).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable

import datetime as dt

from babel.dates import format_date, get_timezone
from babel.numbers import format_decimal, format_percent
from babel.support import Translations

TRANSLATIONS = Path(__file__).resolve().parents[1] / "translations"
LANGUAGES = ("vi", "en")
LOCALES = {"vi": "vi_VN", "en": "en_US"}


@lru_cache(maxsize=None)
def translations(lang: str) -> Translations:
    """The compiled catalog of `lang` ('vi' unless 'en')."""
    return Translations.load(str(TRANSLATIONS), [lang if lang in LANGUAGES else "vi"], domain="messages")


def translator(lang: str) -> Callable[[str], str]:
    """`_` for `lang`: `_("Gained a level")` -> "Lên mức cao hơn" in Vietnamese."""
    return translations(lang).gettext


def number(value: float | int, lang: str) -> str:
    """A number written the language's way (vi: 1.234,5; en: 1,234.5)."""
    return format_decimal(value, locale=LOCALES.get(lang, "vi_VN"))


def fixed(value: float, lang: str, digits: int = 1) -> str:
    """A number with `digits` decimals, written the language's way (vi: '76,3'; en: '76.3')."""
    return format_decimal(value, format="#,##0." + "0" * digits, locale=LOCALES.get(lang, "vi_VN"))


def byte_count(size: int, lang: str) -> str:
    """A file's size in bytes the language's way (vi: '139.838 B'; en: '139,838 B')."""
    return f"{number(size, lang)} B"


def percent(share: float, lang: str, digits: int = 0) -> str:
    """A share (0-1) as a percentage the language's way (vi: '76 %' as the province's documents write it; en: '76%')."""
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + ("%" if lang == "en" else " %")
    return format_percent(share, format=pattern, locale=LOCALES.get(lang, "vi_VN"))


VI_LONG_DATE = "d 'tháng' M 'năm' y"  # as the province's documents write a date (CLDR's "d MMMM, y" is "1 tháng 8, 2022")


def long_date(day, lang: str) -> str:
    """A date written out the language's way (vi: '30 tháng 11 năm 2026'; en: 'November 30, 2026')."""
    if lang == "en":
        return format_date(day, format="long", locale=LOCALES["en"])
    return format_date(day, format=VI_LONG_DATE, locale=LOCALES["vi"])


def plural_mark(singular: str, plural: str) -> tuple[str, str]:
    """Marks a message with a plural form for the catalogs (extracted like ngettext); `counted` writes it."""
    return singular, plural


def counted(lang: str, singular: str, plural: str, n: int) -> str:
    """'1 commune-year …' / '2 commune-years …': the catalog's plural form for `n` (Vietnamese has one), with
    `{n}` written the language's way."""
    return translations(lang).ngettext(singular, plural, n).format(n=number(n, lang))


OFFICE_TIMEZONE = "Asia/Ho_Chi_Minh"  # the office's clock; times are stored in UTC (ISO 8601)


def office_today() -> dt.date:
    """Today on the office's clock: an export made at 03:00 on 2 December in Bến Tre is dated 2 December, though
    the server's clock (UTC) still says the 1st."""
    return dt.datetime.now(get_timezone(OFFICE_TIMEZONE)).date()


def short_date(day, lang: str) -> str:
    """'15/12/2023' in Vietnamese (as offices write it), 'Dec 15, 2023' in English (Babel's medium date)."""
    return format_date(day, format="dd/MM/y" if lang == "vi" else "medium", locale=LOCALES.get(lang, "vi_VN"))


def mark(message: str) -> str:
    """Marks a message for the catalogs where it is defined (import as `_l`); it is translated where it is used."""
    return message


def both(message: str) -> tuple[str, str]:
    """(Vietnamese, English) of a catalog message, for structures that keep both (e.g. a map class)."""
    return translator("vi")(message), translator("en")(message)


class Phrase(str):
    """Text that is English where it is stored or printed (the CLI, reports' JSON, the audit log) and can be
    written in another language: a catalog message with {named} values (values may be phrases too), or a
    sequence of parts. Made by `phrase` (import as `_p`, which the catalogs' extraction reads) and `joined`."""

    message: str | None
    values: dict
    parts: tuple

    def in_language(self, lang: str) -> str:
        """The text in `lang`, from the catalogs."""
        if self.message is None:
            return "".join(in_language(part, lang) for part in self.parts)
        values = {key: in_language(value, lang) for key, value in self.values.items()}
        return translator(lang)(self.message).format(**values)


def phrase(message: str, **values: object) -> Phrase:
    """`phrase("row {row}: no year", row=4)`: reads "row 4: no year", and "dòng 4: …" in Vietnamese."""
    made = Phrase(message.format(**values))
    made.message, made.values, made.parts = message, values, ()
    return made


def joined(*parts: object) -> Phrase:
    """Phrases and plain text one after another, each part written in the language where it is a phrase."""
    made = Phrase("".join(str(part) for part in parts))
    made.message, made.values, made.parts = None, {}, parts
    return made


def joined_by(separator: str, items: Iterable[object]) -> Phrase:
    """`joined` with `separator` between the items: "a; b; c", each item written in the language."""
    parts: list[object] = []
    for item in items:
        parts += [separator, item] if parts else [item]
    return joined(*parts)


def in_language(text: object, lang: str) -> str:
    """`text` in `lang` where it is a phrase; anything else as it is."""
    return text.in_language(lang) if isinstance(text, Phrase) else str(text)


def phrase_data(text: object) -> object:
    """`text` as JSON-ready data that keeps a phrase writable in any language (`from_phrase_data`): its English
    "text", with its catalog "message" and "values" or its "parts". Plain text stays as it is."""
    if not isinstance(text, Phrase):
        return text if text is None or isinstance(text, (str, int, float, bool)) else str(text)
    if text.message is None:
        return {"text": str(text), "parts": [phrase_data(part) for part in text.parts]}
    return {"text": str(text), "message": text.message,
            "values": {key: phrase_data(value) for key, value in text.values.items()}}


def from_phrase_data(data: object) -> object:
    """The phrase `phrase_data` kept (plain values as they are). Data it cannot make a phrase of again (a message
    whose values no longer fit it) becomes its English text."""
    if not isinstance(data, dict):
        return data
    try:
        if isinstance(data.get("message"), str) and isinstance(data.get("values"), dict):
            made = phrase(data["message"], **{str(k): from_phrase_data(v) for k, v in data["values"].items()})
            for lang in LANGUAGES:  # a catalog's text that no longer fits the values is not used
                made.in_language(lang)
            return made
        if isinstance(data.get("parts"), list):
            return joined(*(from_phrase_data(part) for part in data["parts"]))
    except (KeyError, IndexError, ValueError, TypeError, AttributeError):
        pass
    return str(data.get("text", ""))


def phrase_data_text(data: object) -> object:
    """The English text of what `phrase_data` kept (plain values as they are)."""
    if isinstance(data, dict) and "text" in data and ("message" in data or "parts" in data):
        return str(data["text"])
    return data
