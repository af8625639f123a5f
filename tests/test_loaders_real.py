"""Every shared real capture loads with the geometry, CFA and levels SOURCES.md documents;
plus synthetic DNGs for the DNG features the shared files lack (LinearizationTable, black
pattern, odd ActiveArea, files LibRaw refuses).

Real files are read from ../shared/captures (never copied into the project); the tests that
need them skip with a message when that folder is absent.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import tifffile

from app.errors import CaptureError
from app.loaders import SUPPORTED_SUFFIXES, load_capture
from app.loaders.libraw import Unsupported, bayer_cfa
from app.loaders.rawspec import RawSpec, hints_from_name

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CAPTURES = SHARED / "captures"


@pytest.fixture(scope="module")
def captures() -> Path:
    if not CAPTURES.is_dir():
        pytest.skip(f"real captures not found at {CAPTURES}: these tests read ../shared/captures")
    return CAPTURES


def need(captures: Path, rel: str) -> Path:
    p = captures / rel
    if not p.is_file():
        pytest.skip(f"shared capture {rel} is missing from {captures}")
    return p


def owned_uint16(a: np.ndarray) -> bool:
    base = a
    while base.base is not None and isinstance(base.base, np.ndarray):
        base = base.base
    return a.dtype == np.uint16 and a.flags.c_contiguous and base.flags.owndata


# --- container RAW ---------------------------------------------------------------------------

@pytest.mark.parametrize("rel, model, iso, exposure, neutral", [
    ("gopro/HERO7_GOPR9231.DNG", "GoPro HERO7 Black", 252, 1 / 576, (0.565121, 1.0, 0.527835)),
    ("gopro/Hero6_GOPR0024.DNG", "GoPro HERO6 Black", 100, 1 / 455, (0.522449, 1.0, 0.571429)),
])
def test_gopro_dng(captures, rel, model, iso, exposure, neutral):
    c = load_capture(need(captures, rel))
    assert c.mosaic.shape == (3000, 4000) and owned_uint16(c.mosaic)
    assert c.cfa == "RGGB" and c.is_mosaic
    assert c.black_level == (0.0, 0.0, 0.0, 0.0)  # stored as RATIONAL 0/256, 2x2 repeat
    assert c.white_level == 16383 and c.bits == 14
    assert int(c.mosaic.max()) <= 16383
    assert c.format == "DNG" and c.make == "GoPro" and c.unique_camera_model == model
    # Dual-illuminant matrices. The files tag them 3 (tungsten) and 23 (D50), not StdA/D65 (17/21).
    assert c.color_matrix1.shape == (3, 3) and c.color_matrix2.shape == (3, 3)
    assert (c.illuminant1, c.illuminant2) == (3, 23)
    np.testing.assert_allclose(c.color_matrix1[0], [1.8331, -0.8166, -0.2478])
    np.testing.assert_allclose(c.as_shot_neutral, neutral)
    assert c.iso == iso and c.exposure_time == pytest.approx(exposure)
    assert c.extra["orientation"] == 2  # mirrored: reported, pixels left in sensor order
    assert c.extra["dng_opcodes_not_applied"]["OpcodeList2"] == ["GainMap"] * 4
    json.dumps(c.facts())


def test_gopro_fusion(captures):
    c = load_capture(need(captures, "gopro/Fusion_GPFR7066.DNG"))
    assert c.mosaic.shape == (3000, 3104) and c.cfa == "RGGB"
    assert c.black_level == (0.0,) * 4 and c.white_level == 16383 and c.bits == 14
    assert c.unique_camera_model == "GoPro FUSION" and c.iso == 100
    assert c.has_colour_metadata and c.as_shot_neutral is not None


def test_gpr_is_refused(captures):
    p = need(captures, "gopro/Hero6_GOPR0024.GPR")
    with pytest.raises(CaptureError) as e:
        load_capture(p)
    assert p.name in str(e.value) and "VC-5" in str(e.value) and "gpr_tools" in str(e.value)


def test_skia_linear_raw(captures):
    c = load_capture(need(captures, "skia/sample_1mp.dng"))
    assert c.mosaic.shape == (338, 600, 3) and owned_uint16(c.mosaic)
    assert c.cfa == "" and not c.is_mosaic and c.format == "DNG LinearRaw"
    # Lossy-JPEG LinearRaw: LibRaw maps the 8-bit samples to 16-bit linear (MapPolynomial).
    assert c.white_level == 65535 and c.bits == 16 and c.black_level == (0.0,) * 4
    assert (c.illuminant1, c.illuminant2) == (21, 17)
    np.testing.assert_allclose(c.color_matrix1[0], [0.6013, 0.0561, -0.1283])
    np.testing.assert_allclose(c.as_shot_neutral, (0.515625, 1.0, 0.65625))
    assert c.iso == 50 and c.exposure_time == pytest.approx(1 / 2000)
    assert c.make == "LG Mobile" and c.model == "LG-H815"
    assert 0 < int(c.mosaic.max()) <= 65535


# --- headerless dumps ------------------------------------------------------------------------

@pytest.mark.parametrize("rel, shape, bits, cfa, packing, peak", [
    ("infinite-isp/ColorCheckerRAW_1920x1080_12bit_BGGR.raw", (1080, 1920), 12, "BGGR", "u16le", 4092),
    ("infinite-isp/BlackImage_1920x1080_12bits_BGGR.raw", (1080, 1920), 12, "BGGR", "u16le", 2816),
    ("infinite-isp/Indoor1_2592x1536_8bit_GRBG.raw", (1536, 2592), 8, "GRBG", "u8", 255),
    ("infinite-isp/Outdoor1_2592x1536_8bit_GRBG.raw", (1536, 2592), 8, "GRBG", "u8", 255),
    # LibRaw would take this one for a camera raw by its size; the name rules.
    ("openisp/test_1920x1080_10bit_RGGB.RAW", (1080, 1920), 10, "RGGB", "u16le", 1020),
])
def test_headerless_named(captures, rel, shape, bits, cfa, packing, peak):
    c = load_capture(need(captures, rel))
    assert c.mosaic.shape == shape and owned_uint16(c.mosaic)
    assert (c.cfa, c.bits, c.white_level) == (cfa, bits, (1 << bits) - 1)
    assert c.black_level == (0.0,) * 4
    assert c.format == f"headerless {packing}" and c.extra["raw_spec_from"] == ["file name"]
    assert c.extra["max_value"] == peak and "values_above_bits" not in c.extra


def test_black_frame_median(captures):
    c = load_capture(need(captures, "infinite-isp/BlackImage_1920x1080_12bits_BGGR.raw"))
    assert np.median(c.mosaic) == 4


def test_dsc1339_without_bits_is_a_16bit_container(captures):
    c = load_capture(need(captures, "mushfiqulalam/DSC_1339_768x512_rggb.raw"))
    assert c.mosaic.shape == (512, 768) and c.cfa == "RGGB"
    assert c.bits == 16 and c.white_level == 65535
    assert "14 bits" in c.extra["bits_note"] and "--raw-format" in c.extra["bits_note"]


def test_dsc1339_explicit_spec(captures):
    c = load_capture(need(captures, "mushfiqulalam/DSC_1339_768x512_rggb.raw"),
                     "768x512:14:RGGB:black=600:white=15520")
    assert (c.bits, c.black_level, c.white_level) == (14, (600.0,) * 4, 15520)
    assert int(c.mosaic.min()) >= 600 and "bits_note" not in c.extra


def _linked(src: Path, tmp_path: Path) -> Path:
    dst = tmp_path / src.name
    try:
        os.symlink(src, dst)
    except OSError:
        dst.write_bytes(src.read_bytes())
    return dst


def test_dsc1339_sidecar_and_precedence(captures, tmp_path):
    p = _linked(need(captures, "mushfiqulalam/DSC_1339_768x512_rggb_bpc_test.raw"), tmp_path)
    (tmp_path / (p.name + ".json")).write_text(json.dumps(
        {"bits": 14, "black_level": 600, "white_level": 15520, "comment": "Nikon D750, downsampled"}))
    c = load_capture(p)
    assert (c.width, c.height, c.cfa, c.bits, c.white_level) == (768, 512, "RGGB", 14, 15520)
    assert c.black_level == (600.0,) * 4
    assert c.extra["raw_spec_from"][1:] == ["file name"] and "sidecar" in c.extra["raw_spec_from"][0]
    # injected defects at 65535 exceed 14 bits: kept, and counted
    assert c.extra["values_above_bits"]["count"] > 0 and int(c.mosaic.max()) == 65535
    # explicit spec outranks the sidecar, field by field (levels still from the sidecar)
    c = load_capture(p, "12")
    assert c.bits == 12 and c.white_level == 15520 and c.black_level == (600.0,) * 4


def test_halide_pgm_needs_cfa(captures):
    p = need(captures, "halide/bayer_2624_304.pgm")
    with pytest.raises(CaptureError) as e:
        load_capture(p)
    assert p.name in str(e.value) and "--raw-format" in str(e.value)


def test_halide_pgm_with_spec(captures):
    c = load_capture(need(captures, "halide/bayer_2624_304.pgm"), "GRBG:10:black=25:white=1023")
    assert c.mosaic.shape == (304, 2624) and owned_uint16(c.mosaic)
    assert (c.cfa, c.bits, c.black_level, c.white_level) == ("GRBG", 10, (25.0,) * 4, 1023)
    assert c.format == "PGM P5" and c.extra["pgm_maxval"] == 65535 and int(c.mosaic.max()) <= 1023


def test_halide_pgm_sidecar(captures, tmp_path):
    p = _linked(need(captures, "halide/bayer_2624_304.pgm"), tmp_path)
    (tmp_path / "bayer_2624_304.json").write_text(json.dumps(
        {"cfa": "grbg", "bits": 10, "black_level": [25, 25, 25, 25], "white_level": 1023,
         "masked_areas": [[0, 2600, 304, 2624]]}))
    c = load_capture(p)
    assert (c.cfa, c.bits, c.white_level) == ("GRBG", 10, 1023)
    assert c.masked_areas == ((0, 2600, 304, 2624),)


def test_mismatched_size_is_refused(captures):
    p = need(captures, "infinite-isp/ColorCheckerRAW_1920x1080_12bit_BGGR.raw")
    with pytest.raises(CaptureError) as e:
        load_capture(p, "1920x1088:12:BGGR")
    msg = str(e.value)
    assert p.name in msg and "4147200" in msg and "4177920" in msg


def test_wrong_bit_depth_hints_the_packing(captures):
    p = need(captures, "infinite-isp/Indoor1_2592x1536_8bit_GRBG.raw")
    with pytest.raises(CaptureError) as e:
        load_capture(p, "2592x1536:10:GRBG")
    assert "3981312" in str(e.value) and "u8" in str(e.value)


def test_dng_rejects_raw_format(captures):
    with pytest.raises(CaptureError, match="--raw-format applies"):
        load_capture(need(captures, "gopro/Fusion_GPFR7066.DNG"), "3104x3000:14:RGGB")


def test_name_convention():
    assert hints_from_name("BlackImage_1920x1080_12bits_BGGR.raw") == \
        hints_from_name("x_1920x1080_12bit_bggr.RAW")
    h = hints_from_name("DSC_1339_768x512_rggb_bpc_test.raw")
    assert (h.width, h.height, h.bits, h.cfa) == (768, 512, None, "RGGB")
    h = hints_from_name("cam-4000x3000-10bit-GBRG-mipi10.bin")
    assert (h.width, h.bits, h.cfa, h.packing) == (4000, 10, "GBRG", "mipi10")
    assert ".dng" in SUPPORTED_SUFFIXES and ".raw" in SUPPORTED_SUFFIXES and ".pgm" in SUPPORTED_SUFFIXES
    assert RawSpec.parse("1920x1080:12:BGGR") == RawSpec(1920, 1080, 12, "BGGR", "u16le")


# --- synthetic DNGs ------------------------------------------------------------------------

def write_dng(path: Path, data: np.ndarray, *, linear: bool = False, cfa=b"\x00\x01\x01\x02",
              tags=()) -> Path:
    """A minimal DNG 1.4 (uncompressed) written with tifffile."""
    extratags = [(50706, "B", 4, b"\x01\x04\x00\x00", True), (50708, "s", 0, "Synthetic Cam", True),
                 (271, "s", 0, "Synth", True), (272, "s", 0, "Cam", True)]
    if not linear:
        extratags += [(33421, "H", 2, (2, 2), True), (33422, "B", 4, cfa, True),
                      (50710, "B", 3, b"\x00\x01\x02", True)]
    tifffile.imwrite(path, data, photometric=34892 if linear else 32803, subfiletype=0,
                     extratags=extratags + list(tags))
    return path


def test_dng_linearization_and_black_pattern(tmp_path):
    m = (np.arange(64 * 96).reshape(64, 96) % 200).astype(np.uint16)
    table = (np.arange(256) * 3 + 100).astype(np.uint16)
    p = write_dng(tmp_path / "lin.dng", m, tags=[
        (50712, "H", 256, table.tobytes(), True), (50717, "H", 1, 868, True),
        (50713, "H", 2, (2, 2), True), (50714, "H", 4, (10, 11, 12, 13), True),
        (50829, "I", 4, (2, 2, 64, 96), True),
        (50721, 10, 9, (1, 1, 0, 1, 0, 1, 0, 1, 1, 1, 0, 1, 0, 1, 0, 1, 1, 1), True),
        (50778, "H", 1, 21, True), (50728, 5, 3, (1, 2, 1, 1, 3, 4), True)])
    c = load_capture(p)
    assert c.mosaic.shape == (62, 94) and c.cfa == "RGGB"
    np.testing.assert_array_equal(c.mosaic, table[m[2:, 2:]])  # LinearizationTable applied once
    assert c.black_level == (10.0, 11.0, 12.0, 13.0) and c.white_level == 868 and c.bits == 10
    np.testing.assert_array_equal(c.color_matrix1, np.eye(3))
    assert c.illuminant1 == 21 and c.color_matrix2 is None
    assert c.as_shot_neutral == (0.5, 1.0, 0.75)


def test_dng_odd_active_area_shifts_cfa_and_black(tmp_path):
    """CFA and BlackLevel patterns are relative to the ActiveArea; LibRaw starts the visible
    mosaic on an even raw row/column, one pixel further in: everything must shift with it."""
    p = write_dng(tmp_path / "odd.dng", np.zeros((64, 96), np.uint16), tags=[
        (50829, "I", 4, (1, 1, 64, 96), True), (50713, "H", 2, (2, 2), True),
        (50714, "H", 4, (10, 11, 12, 13), True)])
    c = load_capture(p)
    assert c.cfa == "BGGR" and c.black_level == (13.0, 12.0, 11.0, 10.0)


def test_tiny_dng_falls_back_to_tifffile(tmp_path):
    m = np.arange(8 * 12, dtype=np.uint16).reshape(8, 12)
    p = write_dng(tmp_path / "tiny.dng", m, cfa=b"\x01\x00\x02\x01", tags=[
        (50829, "I", 4, (2, 2, 8, 12), True), (50717, "H", 1, 1023, True)])
    c = load_capture(p)  # LibRaw refuses images under 22 px
    assert c.extra["decoder"].startswith("tifffile")
    assert c.cfa == "GRBG" and c.white_level == 1023
    np.testing.assert_array_equal(c.mosaic, m[2:, 2:])
    rgb = np.arange(8 * 12 * 3, dtype=np.uint16).reshape(8, 12, 3)
    c = load_capture(write_dng(tmp_path / "tinylin.dng", rgb, linear=True,
                               tags=[(50714, "H", 3, (5, 6, 7), True)]))
    assert c.cfa == "" and c.black_level == (5.0, 6.0, 6.0, 7.0)
    np.testing.assert_array_equal(c.mosaic, rgb)


def test_bayer_cfa_offsets_and_refusals():
    rggb = np.array([[0, 1], [3, 2]], np.uint8)
    assert bayer_cfa(rggb, "RGBG", 0, 0)[0] == "RGGB"
    assert bayer_cfa(rggb, "RGBG", 1, 0)[0] == "GBRG"
    assert bayer_cfa(rggb, "RGBG", 0, 1)[0] == "GRBG"
    assert bayer_cfa(rggb, "RGBG", 3, 5)[0] == "BGGR"
    for pattern, desc, what in [(np.zeros((6, 6), np.uint8), "RGBG", "X-Trans"),
                                (np.zeros((1, 1), np.uint8), "RGBG", "monochrome"),
                                (np.array([[0, 1], [2, 3]], np.uint8), "GMCY", "CMYG"),
                                (None, "RGBG", "multi-channel")]:
        with pytest.raises(Unsupported, match=what):
            bayer_cfa(pattern, desc, 0, 0)


def test_dng_black_deltas_masked_areas_and_crop(tmp_path):
    rows = 64
    delta_v = [(1 if r % 2 == 0 else 3, 1) for r in range(rows)]  # SRATIONAL per active row
    p = write_dng(tmp_path / "delta.dng", np.full((rows, 100), 50, np.uint16), tags=[
        (50829, "I", 4, (0, 4, 64, 100), True),                   # 4 masked columns at the left
        (50830, "I", 8, (0, 0, 64, 4, 60, 4, 64, 100), True),     # ... and 4 rows inside the active area
        (50713, "H", 2, (2, 2), True), (50714, "H", 4, (10, 11, 12, 13), True),
        (50716, 10, rows, tuple(v for pair in delta_v for v in pair), True),
        (50719, 5, 2, (8, 1, 6, 1), True), (50720, 5, 2, (80, 1, 50, 1), True)])
    c = load_capture(p)
    assert c.mosaic.shape == (64, 96)
    assert c.black_level == (11.0, 12.0, 15.0, 16.0)
    assert c.masked_areas == ((60, 0, 64, 96),)  # the left strip lies outside the mosaic
    assert c.extra["masked_areas_raw"] == [[0, 0, 64, 4], [60, 4, 64, 100]]
    assert c.extra["default_crop_xywh"] == [8, 6, 80, 50]


def test_dng_invalid_white_level_falls_back(tmp_path):
    p = write_dng(tmp_path / "w0.dng", np.full((64, 96), 7, np.uint16), tags=[
        (50717, "I", 1, 0, True), (50714, "H", 1, 4, True)])
    c = load_capture(p)
    assert c.white_level > max(c.black_level) and "invalid DNG levels" in c.extra["levels_note"]
