"""Interface language with Flask-Babel: gettext catalogs in geo_app/translations (vi, en), the page's `lang`.

Messages are English msgids; the Vietnamese catalog translates them and the English one repeats them, so a
test can check that every message of the code and templates is in both (tests/test_i18n.py). After editing
a .po file run `.venv/bin/python -m geo_app.i18n` to compile the .mo files.
"""
from __future__ import annotations

import datetime as dt

from flask import Flask, request
from flask_babel import Babel, format_datetime

from geo_app.domain.messages import (OFFICE_TIMEZONE, LANGUAGES, TRANSLATIONS, byte_count, in_language,
                                     translator)  # one catalog folder

__all__ = ["LANGUAGES", "TRANSLATIONS", "compile_catalogs", "init_app", "local_time", "select_locale"]


def select_locale() -> str:
    """'en' with lang=en, otherwise Vietnamese (the default language of every page)."""
    return "en" if request.args.get("lang", "").strip() == "en" else "vi"


LOCAL_TIMEZONE = OFFICE_TIMEZONE  # the office's clock; times are stored in UTC (ISO 8601)


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "vi")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", LOCAL_TIMEZONE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    Babel(app, locale_selector=select_locale)
    app.add_template_filter(local_time)
    app.add_template_filter(byte_count)  # {{ size | byte_count(lang) }}
    app.add_template_filter(in_language)  # {{ problem | in_language(lang) }}: an importer's phrase
    app.add_template_filter(catalog)  # {{ revision.note | catalog(lang) }}: a note the app wrote (first run)


def catalog(text: str | None, lang: str) -> str:
    """`text` from the catalog in `lang` where it is one of its messages (a note the app wrote itself), else as
    it is (an editor's note)."""
    return translator(lang)(text) if text else (text or "")


def local_time(stored: str | None) -> str:
    """A stored UTC time ('2026-12-01T04:36:49+00:00') on the office's clock, as Babel writes it in the page's
    language ('11:36:49 1 thg 12, 2026'); '' if unset, the text as it is if it is not a time."""
    if not stored:
        return ""
    try:
        moment = dt.datetime.fromisoformat(str(stored))
    except ValueError:
        return str(stored)
    return format_datetime(moment, "medium")


def compile_catalogs() -> list[Path]:
    """Write messages.mo beside each messages.po (what `pybabel compile` does)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for lang in LANGUAGES:
        po = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"
        with po.open("rb") as f:
            catalog = read_po(f, locale=lang)
        mo = po.with_suffix(".mo")
        with mo.open("wb") as f:
            write_mo(f, catalog)
        written.append(mo)
    return written


if __name__ == "__main__":
    for path in compile_catalogs():
        print(path)
