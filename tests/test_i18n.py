"""Interface text in gettext catalogs (Flask-Babel): every message of the code and templates is in the
Vietnamese and the English catalog, the compiled .mo files match the .po files, pages follow `lang`."""
from __future__ import annotations

import io
import re

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from geo_app.i18n import LANGUAGES, TRANSLATIONS
from geo_app.settings import ROOT

KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "_t": (2,),  # slides: _t(lang, message)
            "_p": None,  # importers: phrase(message, **values)
            "plural_mark": (1, 2)}  # counts: plural_mark(singular, plural), written by messages.counted


def extracted() -> dict[str, str]:
    """msgid -> where it is used, from geo_app/**.py and templates/**.html."""
    found = {}
    for folder, method in (("geo_app", "python"), ("templates", "jinja2.ext:babel_extract")):
        pattern = "**.py" if method == "python" else "**.html"
        for filename, lineno, message, _comments, _context in extract_from_dir(
                ROOT / folder, [(pattern, method)], keywords=KEYWORDS,
                options_map={pattern: {"extensions": "jinja2.ext.i18n"}} if method != "python" else None):
            found.setdefault(message if isinstance(message, str) else message[0], f"{folder}/{filename}:{lineno}")
    return found


def catalog(lang: str):
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=lang)


def forms(text) -> list[str]:
    """A message's id or string as a list of its forms (one; or a plural message's singular and plurals)."""
    return [text] if isinstance(text, str) else list(text)


def test_every_message_is_in_both_catalogs():
    messages = extracted()
    assert len(messages) >= 60 and "Bad request" in messages and "Download the data" in messages
    for lang in LANGUAGES:
        cat = catalog(lang)
        missing = {m: where for m, where in messages.items() if m not in cat or not cat[m].string}
        assert not missing, f"{lang} catalog lacks: {missing}"
    vi = catalog("vi")
    assert vi["Communes lagging behind"].string == "Xã cần ưu tiên"


def test_translations_keep_every_placeholder_of_their_message():
    """A translation that drops or renames a {value} would fail (KeyError) or lie when a phrase is written."""
    for lang in LANGUAGES:
        for message in catalog(lang):
            if message.id and message.string and "python-brace-format" in message.flags:
                ids, strings = forms(message.id), forms(message.string)  # plural messages have several
                for text in ids + strings:
                    assert set(re.findall(r"{(\w*)}", text)) == set(re.findall(r"{(\w*)}", ids[0])), \
                        f"{lang}: {message.id!r} -> {message.string!r}"


def test_compiled_catalogs_match_their_sources():
    for lang in LANGUAGES:
        po = catalog(lang)
        with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo").open("rb") as f:
            mo = read_mo(f)
        assert {tuple(forms(m.id)): forms(m.string) for m in po if m.id} == \
            {tuple(forms(m.id)): forms(m.string) for m in mo if m.id}, \
            f"run .venv/bin/python -m geo_app.i18n to compile the {lang} catalog"


def test_pages_follow_the_language(client):
    vi = client.get("/gaps?year=2022").get_data(as_text=True)
    en = client.get("/gaps?year=2022&lang=en").get_data(as_text=True)
    assert "Tiêu chí chưa đạt theo huyện" in vi and "Tải số liệu" in vi
    assert "Criteria not met, by district" in en and "Download the data" in en
    assert "Tiến độ so với mục tiêu năm 2025 (KH 4798/KH-UBND)" in client.get("/targets?year=2022").get_data(
        as_text=True)
    assert "Download the data" in client.get("/?lang=en").get_data(as_text=True)
    assert "Tải số liệu" in client.get("/").get_data(as_text=True)


MIGRATED_TEMPLATES = ("base.html", "map.html", "compare.html", "_embed_snippet.html", "print.html")
INLINE_PAIR = re.compile(r"""["'] if (?:en|lang == ['"]en['"]) else ["']""")  # "English" if en else "Tiếng Việt"


def test_migrated_templates_keep_no_inline_language_pairs():
    for name in MIGRATED_TEMPLATES:
        text = (ROOT / "templates" / name).read_text(encoding="utf-8")
        assert not INLINE_PAIR.findall(text), f"{name} still writes vi/en pairs inline"


def test_catalog_texts_reach_pages_errors_and_admin(client):
    vi = client.get("/compare?from=2021&year=2024").get_data(as_text=True)
    en = client.get("/compare?from=2021&year=2024&lang=en").get_data(as_text=True)
    assert "Các xã có thay đổi" in vi and "Bỏ qua, tới nội dung" in vi and "Mã nhúng" not in vi
    assert "Communes that changed" in en and "Skip to content" in en and "Small multiples" in en
    embed_vi = client.get("/?year=2022").get_data(as_text=True)
    assert "Xuất bản đồ hoặc nhúng vào trang khác" in embed_vi and "Mức đạt chuẩn NTM</option>" in embed_vi
    assert "Export or embed this view" in client.get("/?year=2022&lang=en").get_data(as_text=True)
    assert "phải là 1 hoặc 0" in client.get("/embed?controls=maybe").get_data(as_text=True)
    assert "year=1999 has no data" in client.get("/?year=1999&lang=en").get_data(as_text=True)
    assert "year=1999: chưa có số liệu" in client.get("/?year=1999").get_data(as_text=True)
    assert "Đăng nhập biên tập" in client.get("/signin").get_data(as_text=True)
    assert "Editors&#39; sign-in" in client.get("/signin?lang=en").get_data(as_text=True)


def test_planning_errors_and_the_province_follow_the_language(client):
    """A Vietnamese page said "band='zzz' is unknown" and an English one "Tỉnh Bến Tre" (found by a new user)."""
    vi = client.get("/lagging?band=zzz")
    assert vi.status_code == 400 and "không có nhóm này" in vi.get_data(as_text=True)
    whatif = client.get("/targets?whatif=abc").get_data(as_text=True)
    assert "không phải mã xã" in whatif and "is not a commune code" not in whatif
    en = client.get("/lagging?band=zzz&lang=en").get_data(as_text=True)
    assert "is unknown; use one of lt10" in en
    for path in ("/gaps?year=2024&lang=en", "/targets?year=2024&lang=en"):
        page = client.get(path).get_data(as_text=True)
        assert "Tỉnh Bến Tre" not in page and "Bến Tre province" in page, path
    assert "Tỉnh Bến Tre" in client.get("/targets?year=2024").get_data(as_text=True)


def test_dates_are_written_as_the_provinces_documents_write_them():
    """Slide 1 read "ngày 1 tháng 8, 2022" and exports "Ngày xuất: 2 tháng 12, 2026" (CLDR's pattern, English order)."""
    import datetime as dt

    from geo_app.domain.messages import long_date

    assert long_date(dt.date(2022, 8, 1), "vi") == "1 tháng 8 năm 2022"
    assert long_date(dt.date(2026, 12, 2), "en") == "December 2, 2026"
