"""Export and embed routes: formats, parameters, download headers, Content-Security-Policy, 400s."""
from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
import zipfile

import pytest
from PIL import Image

from geo_app import create_app
from test_map_views import mount_config

NONCE = re.compile(r"'nonce-([A-Za-z0-9_\-]+)'")


def csp(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.split(" ", 1)[1] if " " in part else "" for part in header.split("; ")}


def disposition(response) -> str:
    value = response.headers.get("Content-Disposition", "")
    assert value.startswith("attachment; filename="), value
    return value.split("filename=", 1)[1].strip('"')


def test_png_export_size_headers_and_scale(client):
    r = client.get("/export/map.png?year=2023")
    assert r.status_code == 200 and r.mimetype == "image/png"
    assert disposition(r) == "ntm-ben-tre-2023-level.png"
    assert Image.open(io.BytesIO(r.data)).size == (1920, 1080)
    big = client.get("/export/map.png?year=2023&scale=2")
    assert Image.open(io.BytesIO(big.data)).size == (3840, 2160)
    assert disposition(big) == "ntm-ben-tre-2023-level@2x.png"  # not the same name as the 1920 px file


def test_svg_export_follows_the_view_parameters(client):
    r = client.get("/export/map.svg?year=2022&layer=criterion&criterion=5&district=832&lang=en")
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    assert disposition(r) == "ntm-ben-tre-2022-criterion-tc5-832-en.svg"
    title = ET.fromstring(r.data).find("{http://www.w3.org/2000/svg}title").text
    assert title == "Criterion 5: Schools — Huyện Chợ Lách, 2022"


def test_svg_without_header_for_print(client):
    full = client.get("/export/map.svg").data.decode()
    bare = client.get("/export/map.svg?header=0").data.decode()
    summary = re.search(r">(20\d\d: \d+/\d+ xã đạt chuẩn NTM[^<]*)</text>", full)  # the SVG keeps text as <text>
    assert summary and summary.group(1) not in bare


def test_pdf_export_one_page(client):
    r = client.get("/export/map.pdf?layer=band")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert disposition(r) == "ntm-ben-tre-2024-band.pdf"
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", r.data)) == 1


def test_standalone_html_is_one_offline_file(client):
    r = client.get("/export/map.html?year=2022&district=831")
    assert r.status_code == 200 and r.mimetype == "text/html"
    assert disposition(r) == "ntm-ben-tre-2022-level-831.html"
    html = r.data.decode("utf-8")
    assert "/static/" not in html
    loads = re.findall(r'<(?:script|link|img)\b[^>]*?(?:src|href)="([^"]+)"', html)
    assert loads and all(url.startswith("data:") for url in loads), loads
    assert "Huyện Châu Thành" in html and "Nguồn gốc số liệu" in html and "Ngày xuất" in html
    assert 'id="ntm-source"' in html and "demo-communes.csv" in html
    assert "Mức đạt chuẩn nông thôn mới — Huyện Châu Thành, 2022" in html


def test_slides_download(client):
    r = client.get("/export/slides.pptx?year=2022&lang=en")
    assert r.status_code == 200
    assert r.mimetype == "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    assert disposition(r) == "ntm-ben-tre-2022-slides-en.pptx"
    assert "ppt/slides/slide12.xml" in zipfile.ZipFile(io.BytesIO(r.data)).namelist()


def test_embed_page_csp_and_nonces(client):
    r = client.get("/embed?year=2022")
    assert r.status_code == 200 and r.mimetype == "text/html"
    assert "Content-Disposition" not in r.headers
    policy = csp(r)
    assert policy["frame-ancestors"] == "*"
    assert policy["default-src"] == "'self'" and policy["object-src"] == "'none'"
    assert "unsafe-inline" not in policy["script-src"] and "unsafe-inline" not in policy["style-src"]
    assert policy["img-src"] == "'self' data:"
    nonce = NONCE.search(policy["script-src"]).group(1)
    html = r.data.decode()
    tags = re.findall(r"<(?:script|style)\b[^>]*>", html)
    assert tags and all(f'nonce="{nonce}"' in tag for tag in tags), tags
    assert "X-Frame-Options" not in r.headers
    assert client.get("/embed").headers["Content-Security-Policy"] != r.headers["Content-Security-Policy"]


def test_embed_options(client):
    plain = client.get("/embed").data.decode()
    bare = client.get("/embed?controls=0&legend=0&title=%3Cb%3EXin%20ch%C3%A0o%3C/b%3E").data.decode()
    assert mount_config(plain)["showControls"] is True and mount_config(plain)["showLegend"] is True
    assert mount_config(bare)["showControls"] is False and mount_config(bare)["showLegend"] is False
    assert "&lt;b&gt;Xin chào&lt;/b&gt;" in bare and "<b>Xin chào</b>" not in bare
    assert 'id="ntm-title"' not in plain


def test_frame_ancestors_is_configurable(default_settings):
    app = create_app({"TESTING": True, "SETTINGS": default_settings,
                      "FRAME_ANCESTORS": "'self' https://portal.example.gov.vn"})
    r = app.test_client().get("/embed")
    assert csp(r)["frame-ancestors"] == "'self' https://portal.example.gov.vn"
    with pytest.raises(ValueError, match="FRAME_ANCESTORS"):
        create_app({"TESTING": True, "SETTINGS": default_settings, "FRAME_ANCESTORS": "*; script-src *"})


def test_main_page_gets_the_strict_policy(client):
    r = client.get("/")
    policy = csp(r)
    assert policy["frame-ancestors"] == "'self'" and r.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "unsafe-inline" not in policy["script-src"]
    nonce = NONCE.search(policy["script-src"]).group(1)
    tags = re.findall(r"<(?:script|style)\b[^>]*>", r.data.decode())
    inline = [t for t in tags if "src=" not in t]
    assert inline and all(f'nonce="{nonce}"' in tag for tag in inline)  # only our own inline code runs
    # external scripts: this app's files only (static files and the map's geometry, both content-hashed)
    assert all(re.search(r'src="/(static/|geo/[0-9a-f]{20}\.js")', t) for t in tags if "src=" in t)


def test_print_layout(client):
    a4 = client.get("/print?year=2023&district=836")
    assert a4.status_code == 200
    html = a4.data.decode()
    assert "@page { size: A4 landscape" in html
    assert "/export/map.svg?header=0&amp;year=2023&amp;layer=level&amp;district=836" in html
    assert "Huyện Ba Tri" in html
    a3 = client.get("/print?paper=A3").data.decode()
    assert "@page { size: A3 landscape" in a3


@pytest.mark.parametrize("url, words", [
    ("/export/map.png?year=1999", ["year=1999", "2021"]),
    ("/export/map.svg?layer=heat", ["layer='heat'", "band"]),
    ("/export/map.pdf?layer=criterion&criterion=20", ["criterion=", "từ 1 đến 19"]),
    ("/export/map.html?district=999", ["district='999'", "832"]),
    ("/export/slides.pptx?year=abc", ["year='abc'", "số nguyên"]),
    ("/export/slides.pptx?year=abc&lang=en", ["year='abc'", "whole number"]),
    ("/embed?lang=fr", ["lang='fr'"]),
    ("/embed?controls=maybe", ["controls='maybe'", "1 hoặc 0"]),  # 400 pages speak the page's language
    ("/embed?controls=maybe&lang=en", ["controls='maybe'", "1 or 0"]),
    ("/export/map.gif?lang=en", ["map.gif", "not an export format"]),
    ("/export/years.gif", ["years.gif", "không phải định dạng xuất"]),
    ("/data.gif", ["data.gif", "không phải định dạng tải về"]),
    ("/embed?title=" + "x" * 201, ["title", "200"]),
    ("/export/map.png?scale=3", ["scale='3'", "1, 2"]),
    ("/export/map.gif", ["map.gif", "map.png"]),
    ("/print?paper=letter", ["paper='letter'", "a4, a3"]),
])
def test_bad_parameters_give_400_with_a_message(client, url, words):
    r = client.get(url)
    assert r.status_code == 400
    text = r.data.decode()
    assert "Traceback" not in text
    for word in words:
        assert word.replace("'", "&#39;") in text, text


def test_embed_snippet_macro(app):
    from geo_app.model.viewstate import ViewState

    with app.test_request_context("/"):
        from flask import render_template_string

        html = render_template_string('{% from "_embed_snippet.html" import embed_panel %}{{ embed_panel(s, "vi") }}',
                                      s=ViewState(year=2022, layer="band", district="832"))
    code = re.search(r"<textarea[^>]*>(.*?)</textarea>", html, re.S).group(1)
    assert code.startswith("&lt;iframe src=&#34;http://localhost/embed?year=2022&amp;amp;layer=band&amp;amp;district=832")
    assert "/export/map.png?year=2022&amp;layer=band&amp;district=832" in html
    assert "/export/slides.pptx?year=2022" in html


def test_years_small_multiples_export(client, dataset):
    """One panel per year with data, each titled with that year's numbers (for slides)."""
    r = client.get("/export/years.png?layer=level")
    assert r.status_code == 200 and r.mimetype == "image/png"
    assert disposition(r) == "ntm-ben-tre-years-level.png"
    from PIL import Image

    assert Image.open(io.BytesIO(r.data)).size == (1920, 1080)
    pdf = client.get("/export/years.pdf?district=836&lang=en")
    assert pdf.status_code == 200 and disposition(pdf) == "ntm-ben-tre-years-level-836-en.pdf"
    assert client.get("/export/years.gif").status_code == 400


def test_years_panels_carry_each_years_numbers(dataset):
    import datetime as dt

    from geo_app.model.dataset import province_counts
    from geo_app.model.viewstate import ViewState, map_view
    from geo_app.render.static import draw_years

    views = [map_view(dataset, ViewState(year=y), dt.date(2025, 3, 1)) for y in dataset.years]
    fig = draw_years(views)
    panels = fig.axes[:-1]
    assert len(panels) == len(dataset.years) == 4
    for ax, view in zip(panels, views):
        c = province_counts(view.in_view())
        assert ax.get_title(loc="left").startswith(f"{view.state.year}: {c['xa_ntm']}/{c['xa_total']} xã NTM")
        assert len(ax.collections) >= 2  # the communes, filled, and the district outlines
    assert "80/142" in panels[1].get_title(loc="left")  # 2022, the plan's baseline
    renderer = fig.canvas.get_renderer()
    boxes = [ax.get_window_extent(renderer) for ax in fig.axes]
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])


def test_the_years_figure_gives_each_years_provenance(dataset):
    """years.png's footer gave 2024's provenance ("123 minh họa") for a figure of 2021-2024."""
    import datetime as dt

    from geo_app.model.viewstate import ViewState, map_view
    from geo_app.render.static import draw_years

    views = [map_view(dataset, ViewState(year=y), dt.date(2025, 3, 1)) for y in dataset.years]
    footer = " ".join(t.get_text() for t in draw_years(views).texts)
    for view in views:
        assert f"{view.state.year}: {view.provenance.partition(': ')[2]}" in " ".join(footer.split()), view.state.year
    assert len({v.provenance for v in views}) > 1  # the years differ, so one year's line could not stand for all
