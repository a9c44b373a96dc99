"""The "so sánh" view (change over time) and the year player: Flask test client and Chromium."""
from __future__ import annotations

import html
import re

import pytest
from browser_support import browser, live_server, page  # noqa: F401  (pytest fixtures)
from test_map_views import mount_config

from geo_app.model.compare import compare

READY = "() => window.NTM && NTM.maps.length === 1"


def expected(dataset, year_from: int, year_to: int, district: str | None = None) -> dict[str, int]:
    before = dataset.communes(year_from).set_index("ward_code")
    counts = {"gained": 0, "lost": 0, "same": 0}
    criteria = 0
    for row in dataset.communes(year_to).itertuples():
        if district and row.district_code != district:
            continue
        if row.ward_code not in before.index:
            continue
        old = before.loc[row.ward_code]
        if "not_applicable" in (row.level, old["level"]) or "no_data" in (row.level, old["level"]):
            continue
        diff = row.level_rank - old["level_rank"]
        counts["gained" if diff > 0 else "lost" if diff < 0 else "same"] += 1
        criteria += sum(1 for n in range(1, 20) if bool(getattr(row, f"c{n}")) and not bool(old[f"c{n}"]))
    return {**counts, "criteria": criteria}


@pytest.mark.parametrize("year_from,year_to,district", [(2021, 2024, None), (2022, 2023, "836"), (2021, 2022, None)])
def test_compare_counts_levels_and_criteria(client, dataset, year_from, year_to, district):
    query = f"from={year_from}&year={year_to}" + (f"&district={district}" if district else "")
    response = client.get(f"/compare?{query}")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    want = expected(dataset, year_from, year_to, district)
    summary = html.unescape(re.search(r'<p class="summary" id="summary">(.*?)</p>', text, re.S).group(1))
    assert summary.startswith(f"{year_from} → {year_to}: {want['gained']} xã lên mức, {want['lost']} xã xuống mức, "
                              f"{want['same']} xã giữ nguyên; {want['criteria']} tiêu chí mới đạt")
    legend = {r["key"]: r["count"] for r in mount_config(text)["legendRows"]}
    assert (legend.get("gained", 0), legend.get("lost", 0), legend.get("same", 0)) == (
        want["gained"], want["lost"], want["same"])
    rows = re.findall(r'<tr data-ward-code="(\d+)" data-change="(\w+)">', text)
    assert {code for code, kind in rows if kind == "gained"} == {
        c.ward_code for c in compare(dataset, year_from, year_to)
        if c.change == "gained" and (not district or c.district_code == district)}


def test_compare_names_the_xa_that_became_townships_in_between(client, dataset):
    """2022 → 2024 counted 139 xã against the 142 of 2022 with no word of the three that became thị trấn in 2023
    (Phước Mỹ Trung NTM among them): a planner could not reconcile 80 → 106 xã NTM."""
    def summary(query: str) -> str:
        text = client.get(f"/compare?{query}").get_data(as_text=True)
        return html.unescape(re.search(r'<p class="summary" id="summary">(.*?)</p>', text, re.S).group(1))

    before, after = dataset.communes(2022).set_index("ward_code"), dataset.communes(2024).set_index("ward_code")
    became = [code for code in after.index if after.at[code, "level"] == "not_applicable"
              and code in before.index and before.at[code, "level"] not in ("not_applicable", "no_data")]
    assert len(became) == 3
    text = summary("from=2022&year=2024")
    assert "3 xã của năm 2022 là thị trấn vào năm 2024, không còn được tính là xã:" in text
    assert "Phước Mỹ Trung (Đạt chuẩn NTM)" in text
    assert "1 xã of 2022 is a township (thị trấn) in 2024" in summary("from=2022&year=2024&district=831&lang=en")
    assert "thị trấn" not in summary("from=2022&year=2024&district=832")  # none in Chợ Lách


@pytest.mark.parametrize("query", ["from=2024&year=2021", "from=1999&year=2024", "from=x", "from=2024&year=2024"])
def test_compare_refuses_impossible_years_clearly(client, query):
    response = client.get(f"/compare?{query}")
    assert response.status_code == 400
    assert "from=" in response.get_data(as_text=True) or "year" in response.get_data(as_text=True)


def test_compare_in_english_and_linked_from_the_map(client):
    text = client.get("/compare?from=2021&year=2024&lang=en").get_data(as_text=True)
    assert "gained a level" in text and '<html lang="en">' in text
    page_text = client.get("/?year=2023&district=836").get_data(as_text=True)
    link = html.unescape(re.search(r'id="compare-link" href="([^"]+)"', page_text).group(1))
    assert link.startswith("/compare?") and "from=2021" in link and "year=2023" in link and "district=836" in link


def test_compare_map_colours_each_change(live_server, page, dataset):
    page.goto(f"{live_server}/compare?from=2021&year=2024")
    page.wait_for_function(READY)
    changes = {c.ward_code: c.change for c in compare(dataset, 2021, 2024)}
    colours = {"gained": "#4575b4", "lost": "#d73027", "same": "#fee090"}
    fills = dict(page.eval_on_selector_all("path.ntm-commune", "els => els.map(e => [e.dataset.wardCode, e.getAttribute('fill')])"))
    for code, kind in changes.items():
        if kind in colours:
            assert fills[code] == colours[kind], code
    assert page.errors == [] and page.external == []


def test_year_player_plays_to_the_latest_year_keeping_the_view(live_server, page, dataset):
    page.goto(f"{live_server}/?year={dataset.years[0]}&z=11&lat=10.2&lng=106.5")
    page.wait_for_function(READY)
    page.click("#year-play")
    page.wait_for_url(re.compile(rf"year={dataset.years[-1]}"), timeout=20000)
    page.wait_for_function(READY)
    page.wait_for_function("() => !new URLSearchParams(location.search).get('play')", timeout=10000)
    assert page.get_attribute("#year-play", "aria-pressed") == "false"
    assert page.evaluate("NTM.maps[0].map.getZoom()") == 11
    page.go_back()  # back to where the show started, not into it
    page.wait_for_function(READY)
    assert f"year={dataset.years[0]}" in page.url and "play" not in page.url
    page.wait_for_timeout(2000)
    assert f"year={dataset.years[0]}" in page.url


def test_the_year_player_starts_at_the_first_year_as_its_button_says(live_server, page, dataset):
    """Pressed on 2023, "Phát 2021 → 2024" played 2023 → 2024."""
    page.goto(f"{live_server}/?year={dataset.years[-2]}")
    page.wait_for_function(READY)
    assert page.text_content("#year-play").startswith(f"Phát {dataset.years[0]} → {dataset.years[-1]}")
    page.click("#year-play")
    page.wait_for_url(re.compile(rf"year={dataset.years[0]}&play=1"), timeout=10000)
    page.wait_for_url(re.compile(rf"year={dataset.years[-1]}"), timeout=20000)
    assert page.errors == []


def test_year_slider_shows_the_chosen_year(live_server, page):
    page.goto(f"{live_server}/?year=2022")
    page.wait_for_function(READY)
    with page.expect_navigation():
        page.locator("#year-slider").fill("2024")
    page.wait_for_function(READY)
    assert "year=2024" in page.url and page.evaluate("document.querySelector('select[name=year]').value") == "2024"


def test_compare_page_is_cached_per_revision_with_a_fresh_nonce_and_hashed_static(client, monkeypatch):
    import geo_app.views.compare as view

    calls = []
    real = view.map_parts
    monkeypatch.setattr(view, "map_parts", lambda *a, **k: calls.append(1) or real(*a, **k))
    url = "/compare?from=2022&year=2024&district=829"
    responses = [client.get(url) for _ in range(3)]
    assert len(calls) <= 1  # built once, then served from the shared cache
    nonces = [re.search(r"'nonce-([^']+)'", r.headers["Content-Security-Policy"]).group(1) for r in responses]
    assert len(set(nonces)) == 3
    for response, nonce in zip(responses, nonces):
        text = response.get_data(as_text=True)
        inline = [t for t in re.findall(r"<(?:script|style)\b[^>]*>", text) if "src=" not in t]
        assert inline and all(f'nonce="{nonce}"' in t for t in inline)
    text = responses[0].get_data(as_text=True)
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', text)
    assert scripts and all(re.search(r"(\.[0-9a-f]{10}|/geo/[0-9a-f]{20})\.js$", s) for s in scripts), scripts
    etag = responses[0].headers["ETag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""


def test_compare_links_small_multiples_and_keeps_from_in_the_language_switch(client):
    text = html.unescape(client.get("/compare?from=2022&year=2024&district=836").get_data(as_text=True))
    links = re.findall(r'href="(/export/years\.(png|svg|pdf)[^"]*)"', text)
    assert [fmt for _url, fmt in links] == ["png", "svg", "pdf"] and all("district=836" in u for u, _ in links)
    png = client.get(links[0][0])
    assert png.status_code == 200 and png.data[:8] == b"\x89PNG\r\n\x1a\n"
    switch = re.search(r'<a href="([^"]+)" lang="en"', text).group(1)
    assert "from=2022" in switch and "year=2024" in switch and "district=836" in switch and "lang=en" in switch


def test_compare_form_follows_back_and_forward(live_server, page):
    page.goto(f"{live_server}/compare?from=2021&year=2023")
    page.wait_for_function(READY)
    with page.expect_navigation():
        page.select_option("#compare-controls select[name=from]", "2022")
    page.wait_for_function(READY)
    assert "from=2022" in page.url and "year=2023" in page.url
    with page.expect_navigation():
        page.select_option("#compare-controls select[name=district]", "836")
    page.wait_for_function(READY)
    page.go_back()
    page.wait_for_function(READY)
    page.wait_for_function("() => document.querySelector('#compare-controls select[name=district]').value === ''")
    page.go_back()
    page.wait_for_function(READY)
    page.wait_for_function("() => document.querySelector('#compare-controls select[name=from]').value === '2021'")
    assert page.evaluate("document.querySelector('#compare-controls select[name=year]').value") == "2023"
    assert page.locator("#summary").inner_text().startswith("2021 → 2023")
    page.go_forward()
    page.wait_for_function(READY)
    page.wait_for_function("() => document.querySelector('#compare-controls select[name=from]').value === '2022'")
    assert page.errors == [] and page.external == []
