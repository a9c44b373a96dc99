"""The view forms of the map and compare pages keep the page's language and district when submitted."""
from __future__ import annotations

import re

import pytest


def form_of(html: str) -> str:
    start = html.index('<select name="district">')
    return html[html.rindex("<form", 0, start):html.index("</form>", start)]


@pytest.mark.parametrize("path", ["/", "/compare"])
def test_english_pages_submit_their_language_and_vietnamese_ones_do_not(client, path):
    english = form_of(client.get(f"{path}?lang=en&district=836").get_data(as_text=True))
    assert '<input type="hidden" name="lang" value="en">' in english
    assert re.search(r'<option value="836" selected>Huyện Ba Tri</option>', english)
    assert "Whole province" in english
    vietnamese = form_of(client.get(path).get_data(as_text=True))
    assert 'name="lang"' not in vietnamese and "Toàn tỉnh" in vietnamese
