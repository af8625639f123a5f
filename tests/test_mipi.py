"""MIPI CSI-2 RAW10/12/14 packing: property round trips, hand-computed bytes, and headerless
loading of packed/padded/offset dumps end to end."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.errors import CaptureError
from app.loaders import load_capture
from app.loaders.mipi import (GROUPS, pack_mipi, pack_mipi10, pack_mipi12, pack_mipi14,
                              packed_line_bytes, unpack_mipi, unpack_mipi10, unpack_mipi12,
                              unpack_mipi14)
from app.loaders.rawspec import RawSpec, parse_raw_format


@st.composite
def packed_case(draw):
    bits = draw(st.sampled_from(sorted(GROUPS)))
    px = GROUPS[bits][0]
    width = px * draw(st.integers(1, 24))
    height = draw(st.integers(1, 6))
    pad = draw(st.one_of(st.none(), st.integers(0, 13)))
    seed = draw(st.integers(0, 2**32 - 1))
    img = np.random.default_rng(seed).integers(0, 1 << bits, (height, width), dtype=np.uint16)
    stride = None if pad is None else packed_line_bytes(width, bits) + pad
    return bits, img, stride


@settings(max_examples=60, deadline=None)
@given(packed_case())
def test_round_trip(case):
    bits, img, stride = case
    packed = pack_mipi(img, bits, stride)
    line = packed_line_bytes(img.shape[1], bits)
    assert packed.shape == (img.shape[0], stride or line) and packed.dtype == np.uint8
    assert not packed[:, line:].any()  # padding is zero
    out = unpack_mipi(packed.tobytes(), img.shape[1], img.shape[0], bits, stride)
    np.testing.assert_array_equal(out, img)
    # the last line's padding may be absent from a file
    short = packed.tobytes()[: packed.size - (packed.shape[1] - line)]
    np.testing.assert_array_equal(unpack_mipi(short, img.shape[1], img.shape[0], bits, stride), img)


def test_raw10_bytes():
    # MSBs, then LSBs of pixels 0..3 in bits 1-0, 3-2, 5-4, 7-6
    img = np.array([[0x001, 0x002, 0x003, 0x3FC]], np.uint16)
    assert pack_mipi10(img).tobytes() == bytes([0x00, 0x00, 0x00, 0xFF, 0b00_11_10_01])
    np.testing.assert_array_equal(unpack_mipi10(bytes([0x00, 0x00, 0x00, 0xFF, 0x39]), 4, 1), img)


def test_raw12_bytes():
    img = np.array([[0xABC, 0x123]], np.uint16)
    assert pack_mipi12(img).tobytes() == bytes([0xAB, 0x12, 0x3C])
    np.testing.assert_array_equal(unpack_mipi12(bytes([0xAB, 0x12, 0x3C]), 2, 1), img)


def test_raw14_bytes():
    # LSB word = 1 | 2<<6 | 3<<12 | 63<<18 = 0xFC3081, stored little-endian
    img = np.array([[0x0041, 0x0082, 0x00C3, 0x3F3F]], np.uint16)
    expected = bytes([0x01, 0x02, 0x03, 0xFC, 0x81, 0x30, 0xFC])
    assert pack_mipi14(img).tobytes() == expected
    np.testing.assert_array_equal(unpack_mipi14(expected, 4, 1), img)


def test_stride_and_errors():
    img = np.array([[1, 2, 3, 4], [5, 6, 7, 8]], np.uint16)
    packed = pack_mipi10(img, stride=8)
    assert packed.shape == (2, 8) and packed[0, :5].tolist() == [0, 0, 0, 1, 0b00_11_10_01]
    np.testing.assert_array_equal(unpack_mipi10(packed, 4, 2, stride=8), img)
    with pytest.raises(ValueError, match="multiple of 4"):
        pack_mipi10(np.zeros((1, 6), np.uint16))
    with pytest.raises(ValueError, match="multiple of 2"):
        packed_line_bytes(3, 12)
    with pytest.raises(ValueError, match="0..1023"):
        pack_mipi10(np.full((1, 4), 1024, np.uint16))
    with pytest.raises(ValueError, match="smaller"):
        pack_mipi12(np.zeros((1, 2), np.uint16), stride=2)
    with pytest.raises(ValueError, match="needs 10 bytes"):
        unpack_mipi10(bytes(9), 4, 2)


# --- headerless loading of packed dumps --------------------------------------------------------

@pytest.mark.parametrize("packing, bits", [("mipi10", 10), ("mipi12", 12), ("mipi14", 14)])
def test_load_mipi_dump_with_stride_and_offset(tmp_path, packing, bits):
    rng = np.random.default_rng(bits)
    img = rng.integers(0, 1 << bits, (6, 16), dtype=np.uint16)
    stride = packed_line_bytes(16, bits) + 4
    p = tmp_path / "frame.bin"
    p.write_bytes(b"HDR!" * 4 + pack_mipi(img, bits, stride).tobytes())
    c = load_capture(p, f"16x6:{bits}:GBRG:{packing}:stride={stride}:offset=16")
    assert (c.cfa, c.bits, c.white_level, c.format) == ("GBRG", bits, (1 << bits) - 1, f"headerless {packing}")
    np.testing.assert_array_equal(c.mosaic, img)


def test_load_mipi_by_name(tmp_path):
    img = np.arange(8 * 4, dtype=np.uint16).reshape(4, 8) * 31
    p = tmp_path / "cam_8x4_10bit_RGGB_mipi10.raw"
    p.write_bytes(pack_mipi10(img).tobytes())
    np.testing.assert_array_equal(load_capture(p).mosaic, img)


@pytest.mark.parametrize("packing, dtype", [("u16le", "<u2"), ("u16be", ">u2"), ("u8", "u1")])
def test_load_plain_containers_with_stride(tmp_path, packing, dtype):
    bits = 8 if packing == "u8" else 12
    img = np.random.default_rng(1).integers(0, 1 << bits, (5, 6)).astype(dtype)
    itemsize = np.dtype(dtype).itemsize
    padded = np.zeros((5, 6 * itemsize + 3), np.uint8)
    padded[:, :6 * itemsize] = img.view(np.uint8).reshape(5, -1)
    p = tmp_path / "dump.bin"
    p.write_bytes(padded.tobytes())
    c = load_capture(p, f"6x5:{bits}:BGGR:{packing}:stride={6 * itemsize + 3}")
    assert c.mosaic.dtype == np.uint16 and c.mosaic.dtype.isnative
    np.testing.assert_array_equal(c.mosaic, img.astype(np.uint16))


def test_values_above_bits_are_noted(tmp_path):
    img = np.array([[100, 5000], [4095, 4096]], np.uint16)
    p = tmp_path / "x_2x2_12bit_RGGB.raw"
    p.write_bytes(img.astype("<u2").tobytes())
    c = load_capture(p)
    assert c.extra["values_above_bits"]["count"] == 2 and c.extra["max_value"] == 5000


def test_mipi_width_must_fill_groups(tmp_path):
    p = tmp_path / "f.raw"
    p.write_bytes(bytes(15))
    with pytest.raises(CaptureError, match="multiple of 4"):
        load_capture(p, "6x2:10:RGGB:mipi10")


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 5000), st.integers(1, 5000), st.sampled_from(["RGGB", "BGGR", "GRBG", "GBRG"]),
       st.sampled_from(["u8", "u16le", "u16be", "mipi10", "mipi12", "mipi14"]),
       st.integers(0, 64), st.integers(0, 4096))
def test_spec_string_round_trip(w, h, cfa, packing, pad, offset):
    bits = {"u8": 8, "u16le": 14, "u16be": 16, "mipi10": 10, "mipi12": 12, "mipi14": 14}[packing]
    group = {"mipi10": 4, "mipi12": 2, "mipi14": 4}.get(packing, 1)
    w = w * group
    spec = RawSpec(w, h, bits, cfa, packing, stride=None if not pad else
                   RawSpec(w, h, bits, cfa, packing).line_bytes + pad, offset=offset,
                   black_level=(64.0,) * 4, white_level=float((1 << bits) - 1))
    assert RawSpec.parse(str(spec)) == spec
    assert parse_raw_format(str(spec)).cfa == cfa
