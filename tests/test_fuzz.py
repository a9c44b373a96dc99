"""Property-based fuzzing (Hypothesis) of every route and documented parameter: whatever the query string, path
suffix or Host header, the answer is never a 5xx and never a traceback (issue 10).

Deterministic by default (`derandomize`), so the suite is reproducible; `NTM_FUZZ_EXAMPLES=500` and
`NTM_FUZZ_RANDOM=1` explore more, e.g. before a release.
"""
from __future__ import annotations

import os
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo_app.domain.units import DISTRICTS
from geo_app.views.security import _is_loopback

SCALE = int(os.environ.get("NTM_FUZZ_EXAMPLES", "0")) or None
BASE = settings(deadline=None, database=None, derandomize=not os.environ.get("NTM_FUZZ_RANDOM"),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def fuzz(examples: int) -> settings:
    return settings(BASE, max_examples=SCALE or examples)

DOCUMENTED = ("year", "from", "layer", "criterion", "district", "lang", "band", "whatif", "controls", "legend",
              "title", "paper", "scale", "header")
FLASK_SPECIAL = ("_method", "_external", "_scheme", "_anchor", "_endpoint", "_charset", "_url")
VALID = {
    "year": ["2021", "2022", "2023", "2024", "2025"],
    "from": ["2021", "2022", "2023", "2024"],
    "layer": ["level", "band", "criterion", "district", "lagging"],
    "criterion": [str(n) for n in range(1, 20)],
    "district": list(DISTRICTS),
    "lang": ["vi", "en"],
    "band": ["lt10", "10_14", "15_18"],
    "whatif": ["all18", "28813,29146", "28813"],
    "controls": ["0", "1"], "legend": ["0", "1"], "header": ["0", "1"],
    "paper": ["a4", "a3"], "scale": ["1", "2"],
    "title": ["Bản đồ", "<b>x</b>"],
}
# Light routes answer in milliseconds; heavy ones render images or decks (fewer examples).
LIGHT = ("/", "/compare", "/lagging", "/lagging.csv", "/lagging.xlsx", "/gaps", "/targets", "/charts/progress.svg",
         "/embed", "/print", "/api/communes.geojson", "/api/summary.json")
HEAVY = ("/export/map.html", "/export/map.png", "/export/map.svg", "/export/map.pdf", "/export/slides.pptx")

hostile_text = st.one_of(
    st.text(max_size=40),  # any unicode, control characters included
    st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=10),  # only control characters
    st.integers(min_value=-10**30, max_value=10**30).map(str),  # huge and negative numbers
    st.sampled_from(["", " ", "-1", "0", "1e309", "nan", "inf", "2022.0", "٢٠٢٢", "２０２２", "%00", "../../etc/passwd",
                     "javascript:alert(1)", "'\"><script>x</script>", "a" * 5000, "\ufeff2022", "2022\x00", "\ud800"]),
)
names = st.one_of(st.sampled_from(DOCUMENTED), st.sampled_from(FLASK_SPECIAL), st.text(min_size=1, max_size=12))


@st.composite
def values_for(draw, name: str) -> str:
    if name in VALID and draw(st.booleans()):
        return draw(st.sampled_from(VALID[name]))
    return draw(hostile_text)


@st.composite
def query(draw) -> str:
    """A query string: documented, Flask-special and unknown names, repeated names, valid and hostile values."""
    pairs = []
    for name in draw(st.lists(names, max_size=8)):
        for _ in range(draw(st.integers(min_value=1, max_value=3))):  # repeated parameters
            pairs.append((name, draw(values_for(name))))
    encoded = urlencode([(k.encode("utf-8", "surrogatepass"), v.encode("utf-8", "surrogatepass")) for k, v in pairs])
    if draw(st.booleans()):  # raw, not percent-encoded as a browser would: stray % and & included
        encoded += "&" + draw(st.text(alphabet="%&=;+#?_a1", max_size=12))
    return encoded


def assert_clean(client, url: str, **kwargs) -> None:
    response = client.get(url, **kwargs)
    body = response.get_data()
    assert response.status_code < 500, (url, response.status_code, body[:500])
    assert b"Traceback" not in body, url
    response.close()


@pytest.mark.parametrize("route", LIGHT)
def test_light_routes_never_fail(app, route):
    @fuzz(15)
    @given(query())
    def run(q):
        assert_clean(app.test_client(), f"{route}?{q}")

    run()


@pytest.mark.parametrize("route", HEAVY)
def test_export_routes_never_fail(app, route):
    @fuzz(2 if route.endswith(".pptx") else 3)
    @given(query())
    def run(q):
        assert_clean(app.test_client(), f"{route}?{q}")

    run()


@fuzz(40)
@given(st.sampled_from(["/", "/export/map.", "/api/", "/charts/", "/static/", "/lagging", "/embed/"]),
       st.text(max_size=30))
def test_any_path_is_answered_cleanly(app, prefix, tail):
    assert_clean(app.test_client(), prefix + quote(tail.encode("utf-8", "surrogatepass"), safe="/.:"))


@fuzz(20)
@given(st.one_of(st.text(max_size=60), st.sampled_from(["evil.example", "evil.example:99999", "[::1]", "a b",
                                                          "localhost:0", "x" * 300, "ntm.example.gov.vn@evil"])))
def test_any_host_header_is_answered_cleanly_and_never_echoed(app, host):
    client = app.test_client()
    try:
        response = client.get("/?year=2022", headers={"Host": host})
    except (ValueError, UnicodeError):
        return  # not sendable as an HTTP header at all (the test client refuses it, as a real client would)
    body = response.get_data(as_text=True)
    assert response.status_code < 500 and "Traceback" not in body
    if response.status_code == 200 and not _is_loopback(host) and len(host) > 3:
        assert f"//{host}/embed" not in body  # only this machine's own name may appear (README: NTM_PUBLIC_URL)
