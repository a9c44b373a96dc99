"""TCVN3 (ABC) and VNI-Windows text: the tables, detection, and shapefiles written in them come back as NFC."""
from __future__ import annotations

import shutil
import struct
import subprocess
import unicodedata
from pathlib import Path

import geopandas as gpd
import pytest

from geo_app.domain.legacy_text import decode, detect, encode, is_vietnamese_word
from geo_app.domain.units import DISTRICTS, units
from geo_app.sources.boundaries import read_attribute_table, read_boundaries

TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")  # none, huyền, sắc, hỏi, ngã, nặng
VOWELS = "aăâeêioôơuưy"
LETTERS = [unicodedata.normalize("NFC", v + t) for v in VOWELS for t in TONES] + ["đ"]
ALL_LETTERS = LETTERS + [ch.upper() for ch in LETTERS]

# TCVN3 (VN3) as printed in TCVN 5712:1993, written out here independently of the module's table:
# lower-case letters with their bytes, and the seven upper-case base letters.
VN3_LOWER = {
    "ă": 0xA8, "â": 0xA9, "ê": 0xAA, "ô": 0xAB, "ơ": 0xAC, "ư": 0xAD, "đ": 0xAE,
    "à": 0xB5, "ả": 0xB6, "ã": 0xB7, "á": 0xB8, "ạ": 0xB9,
    "ằ": 0xBB, "ẳ": 0xBC, "ẵ": 0xBD, "ắ": 0xBE, "ặ": 0xC6,
    "ầ": 0xC7, "ẩ": 0xC8, "ẫ": 0xC9, "ấ": 0xCA, "ậ": 0xCB,
    "è": 0xCC, "ẻ": 0xCE, "ẽ": 0xCF, "é": 0xD0, "ẹ": 0xD1,
    "ề": 0xD2, "ể": 0xD3, "ễ": 0xD4, "ế": 0xD5, "ệ": 0xD6,
    "ì": 0xD7, "ỉ": 0xD8, "ĩ": 0xDC, "í": 0xDD, "ị": 0xDE,
    "ò": 0xDF, "ỏ": 0xE1, "õ": 0xE2, "ó": 0xE3, "ọ": 0xE4,
    "ồ": 0xE5, "ổ": 0xE6, "ỗ": 0xE7, "ố": 0xE8, "ộ": 0xE9,
    "ờ": 0xEA, "ở": 0xEB, "ỡ": 0xEC, "ớ": 0xED, "ợ": 0xEE,
    "ù": 0xEF, "ủ": 0xF1, "ũ": 0xF2, "ú": 0xF3, "ụ": 0xF4,
    "ừ": 0xF5, "ử": 0xF6, "ữ": 0xF7, "ứ": 0xF8, "ự": 0xF9,
    "ỳ": 0xFA, "ỷ": 0xFB, "ỹ": 0xFC, "ý": 0xFD, "ỵ": 0xFE,
}
VN3_UPPER_BASE = {"Ă": 0xA1, "Â": 0xA2, "Ê": 0xA3, "Ô": 0xA4, "Ơ": 0xA5, "Ư": 0xA6, "Đ": 0xA7}


def vn3_bytes(text: str) -> bytes:
    """Text as the ABC keyboard typed it: upper-case letters with tones use the lower-case codes (.VnTimeH font)."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ch.isascii():
            out.append(ord(ch))
        elif ch in VN3_UPPER_BASE:
            out.append(VN3_UPPER_BASE[ch])
        else:
            out.append(VN3_LOWER[ch.lower()])
    return bytes(out)


# VNI-Windows built from its rules, independently of the module's table: base letter, then a shape byte
# (circumflex â / breve ê), then a tone byte; ơ ư đ and the i's have single bytes.
VNI_TONE = {"\u0301": "ù", "\u0300": "ø", "\u0309": "û", "\u0303": "õ", "\u0323": "ï"}
VNI_TONE_AFTER_CIRCUMFLEX = {"\u0301": "á", "\u0300": "à", "\u0309": "å", "\u0303": "ã", "\u0323": "ä"}
VNI_TONE_AFTER_BREVE = {"\u0301": "é", "\u0300": "è", "\u0309": "ú", "\u0303": "ü", "\u0323": "ë"}
VNI_I = {"": "i", "\u0301": "í", "\u0300": "ì", "\u0309": "æ", "\u0303": "ó", "\u0323": "ò"}


def vni_letter(ch: str) -> str:
    upper = ch != ch.lower()
    parts = unicodedata.normalize("NFD", ch.lower())
    base, marks = parts[0], parts[1:]
    tone = next((m for m in marks if m in VNI_TONE), "")
    if base == "đ":
        out = "ñ"
    elif base == "i":
        out = VNI_I[tone]
    elif base == "y" and tone == "\u0323":
        out = "î"
    elif "\u0302" in marks:  # circumflex
        out = base + (VNI_TONE_AFTER_CIRCUMFLEX[tone] if tone else "â")
    elif "\u0306" in marks:  # breve
        out = base + (VNI_TONE_AFTER_BREVE[tone] if tone else "ê")
    elif "\u031b" in marks:  # horn: ơ = ô, ư = ö
        out = {"o": "ô", "u": "ö"}[base] + VNI_TONE.get(tone, "")
    else:
        out = base + VNI_TONE.get(tone, "")
    return out.upper() if upper else out


def vni_bytes(text: str) -> bytes:
    return "".join(ch if ch.isascii() else vni_letter(ch) for ch in unicodedata.normalize("NFC", text)).encode("latin-1")


def test_every_letter_with_every_tone_has_134_forms():
    assert len(set(ALL_LETTERS)) == 2 * (12 * 6 + 1)
    assert all(unicodedata.is_normalized("NFC", ch) and len(ch) == 1 for ch in ALL_LETTERS)


@pytest.mark.parametrize("letter", ALL_LETTERS)
def test_tcvn3_every_letter_round_trips(letter):
    lower = letter.lower()
    expected = VN3_LOWER.get(lower) if lower not in "aeiouy" else ord(lower)
    if letter == lower:
        assert encode(letter, "tcvn3") == bytes([expected])
        assert decode(bytes([expected]), "tcvn3") == letter
    assert decode(encode(letter, "tcvn3"), "tcvn3") == letter  # upper case through the VN1 codes
    # ABC with a .VnTimeH font: the lower-case code inside an upper-case word reads back upper case.
    word = f"NG{letter.upper()}N"
    assert decode(vn3_bytes(word), "tcvn3") == word
    assert decode(vn3_bytes(f"ng{lower}n"), "tcvn3") == f"ng{lower}n"


@pytest.mark.parametrize("letter", ALL_LETTERS)
def test_vni_every_letter_round_trips(letter):
    assert encode(letter, "vni") == vni_bytes(letter)
    assert decode(vni_bytes(letter), "vni") == letter
    for word in (f"th{letter}n", f"TH{letter}NG", f"{letter}"):
        assert decode(vni_bytes(word), "vni") == unicodedata.normalize("NFC", word)


def test_tcvn3_table_agrees_with_the_c_library_for_every_byte():
    """glibc's TCVN5712-1 converter is an independent implementation of the same standard."""
    if shutil.which("iconv") is None:
        pytest.skip("iconv not installed")
    probe = subprocess.run(["iconv", "-f", "TCVN5712-1", "-t", "UTF-8"], input=b"\xb7", capture_output=True)
    if probe.returncode != 0:
        pytest.skip("this iconv has no TCVN5712-1")
    for b in range(1, 256):
        result = subprocess.run(["iconv", "-f", "TCVN5712-1", "-t", "UTF-8"], input=bytes([b]), capture_output=True)
        assert result.returncode == 0
        assert decode(bytes([b]), "tcvn3") == unicodedata.normalize("NFC", result.stdout.decode()), hex(b)


def test_the_issue_examples_decode():
    assert decode("X· S¬n §«ng".encode("cp1258"), "tcvn3") == "Xã Sơn Đông"
    assert decode(b"Th\xde tr\xcan", "tcvn3") == "Thị trấn"
    assert decode("Xaõ Sôn Ñoâng".encode("latin-1"), "vni") == "Xã Sơn Đông"


ALL_NAMES = [u.name for u in units().values()] + list(DISTRICTS.values())


def _cp1258(text: str) -> bytes:
    """Windows-1258 bytes: precomposed where the code page has the letter, else base + combining tone."""
    out = b""
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            nfd = unicodedata.normalize("NFD", ch)
            tone = next(m for m in nfd if m in VNI_TONE)
            base = unicodedata.normalize("NFC", nfd.replace(tone, ""))
            out += base.encode("cp1258") + tone.encode("cp1258")
    return out


@pytest.mark.parametrize("writer", [vn3_bytes, vni_bytes, _cp1258], ids=["tcvn3", "vni", "cp1258"])
def test_detection_of_every_gso_name_one_at_a_time(writer):
    for name in ALL_NAMES:
        raw = writer(name)
        found = detect([raw])
        assert decode(raw, found.encoding) == name, (name, found)


def test_gso_names_are_vietnamese_words_and_mojibake_is_not():
    for name in ALL_NAMES:
        assert all(is_vietnamese_word(w) for w in name.split() if not w.isascii()), name
    for junk in ("X·", "S¬n", "§«ng", "Ñoâng", "Xaõ", "trÊn", "traán"):
        assert not is_vietnamese_word(junk), junk


# ---------------------------------------------------------------- shapefiles in legacy encodings

def rewrite_dbf_text(dbf: Path, columns: dict[str, list[bytes]]) -> None:
    """Overwrite the named character fields of a .dbf, record by record, with the given bytes (space padded)."""
    data = bytearray(dbf.read_bytes())
    records, header_len, record_len = struct.unpack("<IHH", data[4:12])
    fields, offset, pos = {}, 1, 32
    while data[pos] != 0x0D:
        name = data[pos:pos + 11].split(b"\0")[0].decode("ascii")
        kind, length = chr(data[pos + 11]), data[pos + 16]
        fields[name] = (offset, length, kind)
        offset += length
        pos += 32
    for name, values in columns.items():
        start, length, kind = fields[name]
        assert kind == "C" and len(values) == records
        for i, value in enumerate(values):
            assert len(value) <= length, (name, value)
            at = header_len + i * record_len + start
            data[at:at + length] = value.ljust(length, b" ")
    dbf.write_bytes(bytes(data))


@pytest.fixture(scope="module")
def gso_layer(default_boundaries):
    frame, report = read_boundaries(default_boundaries)
    assert report.usable
    return frame


def legacy_shapefile(folder: Path, layer: gpd.GeoDataFrame, writer, with_codes: bool = True) -> Path:
    """The 157 units with names (and district names) in a legacy encoding, no .cpg."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "xa.shp"
    wide = "x" * 60
    frame = gpd.GeoDataFrame({"ten_xa": [wide] * len(layer), "huyen": [wide] * len(layer)},
                             geometry=layer.geometry.values, crs=layer.crs)
    if with_codes:
        frame.insert(0, "ma_xa", list(layer["ward_code"]))
    frame.to_file(path, encoding="UTF-8")
    path.with_suffix(".cpg").unlink()
    rewrite_dbf_text(path.with_suffix(".dbf"), {"ten_xa": [writer(n) for n in layer["name"]],
                                                "huyen": [writer(n) for n in layer["district_name"]]})
    return path


@pytest.mark.parametrize("encoding,writer,label", [("tcvn3", vn3_bytes, "TCVN3"), ("vni", vni_bytes, "VNI")])
@pytest.mark.parametrize("with_codes", [True, False], ids=["with-codes", "names-only"])
def test_legacy_shapefile_without_cpg_comes_back_as_nfc_names(tmp_path, gso_layer, encoding, writer, label,
                                                              with_codes):
    path = legacy_shapefile(tmp_path / encoding, gso_layer, writer, with_codes)
    attributes, _ = read_attribute_table(path)
    assert list(attributes["ten_xa"]) == list(gso_layer["name"])  # exact NFC, every unit
    assert list(attributes["huyen"]) == list(gso_layer["district_name"])
    assert all(unicodedata.is_normalized("NFC", n) for n in attributes["ten_xa"])
    frame, report = read_boundaries(path)
    assert report.usable, report.to_text()
    assert sorted(frame["ward_code"]) == sorted(units()), report.to_text()
    assert not report.unmatched and not any("differently" in w for w in report.warnings)
    converted = [w for w in report.warnings if label in w and "converted" in w]
    assert len(converted) == 1, report.warnings
    assert f"converted {2 * len(gso_layer)} values" in converted[0] and "ten_xa" in converted[0]
    assert "→ 'Xã" in converted[0] or "→ 'Phường" in converted[0] or "→ 'Thị" in converted[0]
    # written in Vietnamese for the web: no English left inside it ("(there is no .cpg file)", "name 'ten_xa'")
    from geo_app.domain.messages import in_language

    assert "(không có tệp .cpg)" in in_language(converted[0], "vi") and "there is" not in in_language(converted[0], "vi")
    columns = next(i for i in report.info if str(i).startswith("columns used"))
    assert "tên 'ten_xa'" in in_language(columns, "vi") and "name '" not in in_language(columns, "vi")


def test_encoding_override_and_wrong_override(tmp_path, gso_layer):
    path = legacy_shapefile(tmp_path, gso_layer, vn3_bytes)
    attributes, report = read_attribute_table(path, encoding="tcvn3")
    assert list(attributes["ten_xa"]) == list(gso_layer["name"])
    assert any("as asked" in w for w in report.warnings)
    frame, report = read_boundaries(path, encoding="cp1258")  # wrong on purpose: codes still match
    assert report.usable and len(frame) == len(units())
    differ = [w for w in report.warnings if "differently" in w]
    assert len(differ) == 1 and "and 15" in differ[0]  # a summary with a count, never a wall
    assert differ[0].count("feature ") == 5


def test_names_differ_warning_is_a_summary(tmp_path, gso_layer):
    path = tmp_path / "renamed.geojson"
    frame = gpd.GeoDataFrame({"ma_xa": list(gso_layer["ward_code"]), "ten_xa": ["Xã Không Tên"] * len(gso_layer)},
                             geometry=gso_layer.geometry.values, crs=gso_layer.crs)
    frame.to_file(path, driver="GeoJSON")
    _, report = read_boundaries(path)
    differ = [w for w in report.warnings if "differently" in w]
    assert len(differ) == 1 and differ[0].startswith("renamed.geojson: 157 features")
    assert f"and {157 - 5} more" in differ[0] and len(differ[0]) < 1000


def test_check_cli_encoding_choices(tmp_path, gso_layer, app):
    from geo_app.cli.data import data_cli

    path = legacy_shapefile(tmp_path, gso_layer, vni_bytes)
    runner = app.test_cli_runner()
    result = runner.invoke(data_cli, ["check", str(path)])
    assert result.exit_code == 0, result.output
    assert "VNI" in result.output and "converted 314 values" in result.output
    result = runner.invoke(data_cli, ["check", str(path), "--encoding", "TCVN3"])
    assert result.exit_code == 0 and "as asked" in result.output
    result = runner.invoke(data_cli, ["check", str(path), "--encoding", "klingon"])
    assert result.exit_code == 2 and "tcvn3" in result.output and "Traceback" not in result.output


def test_cpg_saying_ansi_1252_does_not_hide_tcvn3(tmp_path, gso_layer):
    path = legacy_shapefile(tmp_path, gso_layer, vn3_bytes)
    path.with_suffix(".cpg").write_text("ANSI 1252", encoding="ascii")
    attributes, report = read_attribute_table(path)
    assert list(attributes["ten_xa"]) == list(gso_layer["name"])
    assert any("TCVN3" in w and "the .cpg file says 'ANSI 1252'" in w for w in report.warnings), report.warnings
    path.with_suffix(".cpg").write_text("UTF-8", encoding="ascii")  # a .cpg that lies about UTF-8 is an error
    _, report = read_boundaries(path)
    assert not report.usable and "not valid UTF-8" in report.errors[0] and "tcvn3" in report.errors[0]
