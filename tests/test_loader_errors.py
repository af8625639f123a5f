"""Whatever a user opens, the loaders answer with a Capture or one CaptureError naming the file:
never another exception, a crash or a huge allocation. Hypothesis fuzzes the byte level
(kept to a few dozen examples per test so the file runs in seconds)."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.capture import Capture
from app.errors import CamtuneError, CaptureError, GeometryError
from app.loaders import load_capture
from app.loaders.rawspec import parse_raw_format

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
GOPRO_DNG = SHARED / "captures" / "gopro" / "Hero6_GOPR0024.DNG"
FUZZ = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

SUFFIXES = [".dng", ".DNG", ".nef", ".cr2", ".raw", ".bin", ".pgm", ".gpr", ".tif", ".xyz", ""]


def load_or_capture_error(path: Path, raw_format=None):
    """Load; a CaptureError must name the file. Any other exception fails the test."""
    try:
        return load_capture(path, raw_format)
    except CaptureError as e:
        assert path.name in str(e), str(e)
        return e


def refused(path: Path, raw_format=None) -> str:
    with pytest.raises(CaptureError) as e:
        load_capture(path, raw_format)
    assert path.name in str(e.value)
    return str(e.value)


@pytest.fixture(scope="module")
def dng_bytes() -> bytes:
    if not GOPRO_DNG.is_file():
        pytest.skip(f"real capture {GOPRO_DNG} not found (tests read ../shared/captures)")
    return GOPRO_DNG.read_bytes()


@FUZZ
@given(data=st.binary(min_size=1, max_size=4096), suffix=st.sampled_from(SUFFIXES),
       prefix=st.sampled_from([b"", b"II*\x00", b"MM\x00*", b"P5\n", b"P2 ", b"\x89PNG", b"FUJIFILM"]))
def test_random_bytes(tmp_path, data, suffix, prefix):
    p = tmp_path / f"fuzz{suffix}"
    p.write_bytes(prefix + data)
    result = load_or_capture_error(p)
    assert isinstance(result, (Capture, CaptureError))


@FUZZ
@given(data=st.binary(min_size=1, max_size=2048),
       spec=st.sampled_from([None, "8x8:8:RGGB", "4x4:12:BGGR", "8x2:10:GRBG:mipi10", "GRBG",
                             "16x16:16:GBRG:u16be:stride=40:offset=3", "2x2:14:RGGB:mipi14"]))
def test_random_bytes_with_spec(tmp_path, data, spec):
    p = tmp_path / "dump_8x8_8bit_RGGB.raw"
    p.write_bytes(data)
    result = load_or_capture_error(p, spec)
    if isinstance(result, Capture):
        assert result.mosaic.dtype == np.uint16 and result.mosaic.ndim == 2


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(n=st.one_of(st.integers(1, 20_000), st.integers(20_000, 24_015_147)))
def test_truncated_dng(tmp_path, dng_bytes, n):
    p = tmp_path / "cut.DNG"
    p.write_bytes(dng_bytes[:n])
    refused(p)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(pos=st.integers(0, 15_147), value=st.integers(0, 255))
def test_corrupted_dng_header(tmp_path, dng_bytes, pos, value):
    """A flipped byte in the IFDs/metadata: load or refuse, never crash."""
    head = bytearray(dng_bytes[:15_148])
    head[pos] = value
    p = tmp_path / "flip.dng"
    p.write_bytes(bytes(head) + dng_bytes[15_148:])
    load_or_capture_error(p)


def test_truncated_dng_message(tmp_path, dng_bytes):
    p = tmp_path / "half.dng"
    p.write_bytes(dng_bytes[: len(dng_bytes) // 2])
    assert "truncated" in refused(p)


def test_empty_missing_directory(tmp_path):
    (tmp_path / "empty.dng").write_bytes(b"")
    assert "empty" in refused(tmp_path / "empty.dng")
    assert "not found" in refused(tmp_path / "nope.raw")
    (tmp_path / "folder.dng").mkdir()
    assert "directory" in refused(tmp_path / "folder.dng")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_permission_denied(tmp_path):
    p = tmp_path / "locked.dng"
    p.write_bytes(b"II*\x00" + bytes(100))
    p.chmod(0)
    assert "permission" in refused(p)


PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


@pytest.mark.parametrize("name", ["photo.dng", "photo.NEF", "photo.pgm", "photo.xyz"])
def test_mislabelled_png(tmp_path, name):
    p = tmp_path / name
    p.write_bytes(PNG)
    assert "PNG" in refused(p)


def test_unrecognised_without_geometry(tmp_path):
    p = tmp_path / "mystery.dat"
    p.write_bytes(bytes(1000))
    assert "--raw-format" in refused(p)
    p = tmp_path / "dump.raw"
    p.write_bytes(bytes(1000))
    assert "--raw-format" in refused(p)


def test_geometry_errors_are_the_ones_a_geometry_can_fix(tmp_path):
    # The workbench offers its geometry dialog for exactly these (GeometryError).
    unknown = tmp_path / "mystery.dat"
    unknown.write_bytes(bytes(1000))
    no_geometry = tmp_path / "dump.raw"
    no_geometry.write_bytes(bytes(1000))
    wrong_size = tmp_path / "dump_8x8_12bit_RGGB.raw"
    wrong_size.write_bytes(bytes(1000))
    for path in (unknown, no_geometry, wrong_size):
        with pytest.raises(GeometryError):
            load_capture(path)
    short_pgm = tmp_path / "short.pgm"
    short_pgm.write_bytes(b"P5 64 64 65535\n" + bytes(100))
    with pytest.raises(CaptureError) as err:
        load_capture(short_pgm, "RGGB")
    assert not isinstance(err.value, GeometryError)  # its header gives the geometry


def test_absurd_pgm_header(tmp_path):
    p = tmp_path / "huge.pgm"
    p.write_bytes(b"P5 100000 100000 65535\n" + bytes(64))
    msg = refused(p, "RGGB")
    assert "too small" in msg and str(100000 * 100000 * 2 + 23) in msg
    p.write_bytes(b"P2 100000 100000 65535\n1 2 3")
    assert "too small" in refused(p, "RGGB")


@pytest.mark.parametrize("header", [b"P5 0 10 255\n", b"P5 10 10 0\n", b"P5 10 10 70000\n",
                                    b"P5 10 10\n", b"P5 1x 10 255\n", b"P5 99999999999 1 255\n"])
def test_bad_pgm_headers(tmp_path, header):
    p = tmp_path / "bad.pgm"
    p.write_bytes(header + bytes(200))
    refused(p, "RGGB")


def test_pgm_ascii_and_geometry_conflict(tmp_path):
    p = tmp_path / "tiny.pgm"
    p.write_bytes(b"P2\n# comment\n4 2\n1023\n0 1 2 3\n1020 1021 1022 1023\n")
    c = load_capture(p, "BGGR")
    assert c.bits == 10 and c.mosaic.tolist() == [[0, 1, 2, 3], [1020, 1021, 1022, 1023]]
    assert "header says 4x2" in refused(p, "8x8:BGGR")
    assert "does not apply" in refused(p, "BGGR:mipi10")
    p.write_bytes(b"P2 2 1 255\n1 x9\n")
    assert "not a number" in refused(p, "RGGB")


@pytest.mark.parametrize("spec", ["", "1920x1080:12", "1920x1080:12:XYZW", "1920x1080:12:RGGB:u32",
                                  "1920x1080:12:RGGB:stride=10", "0x10:8:RGGB", "70000x10:8:RGGB",
                                  "10x10:20:RGGB", "10x10:12:RGGB:mipi10", "10x10:12:RGGB:bogus=1",
                                  "10x10:12:RGGB:12", "10x10:12:RGGB:black=1,2", "10x10:8:RGGB:white=999"])
def test_bad_specs(tmp_path, spec):
    p = tmp_path / "frame.bin"
    p.write_bytes(bytes(200))
    refused(p, spec)


@pytest.mark.parametrize("text", ["12:RGGB:mipi12:black=a", "1x1:1:RGGB:white=nan", "x" * 500])
def test_parse_errors_are_camtune_errors(text):
    with pytest.raises(CamtuneError):
        parse_raw_format(text)


@pytest.mark.parametrize("sidecar", ['{"width": 4, "bits": "12"}', '[1, 2]', '{"blacklevel": 3}',
                                     "{not json", '{"cfa": "RGGB", "black_level": [1, 2]}',
                                     '{"masked_areas": [[0, 0, 0, 0]]}', '{"white_level": 1e9}'])
def test_bad_sidecar_names_the_sidecar(tmp_path, sidecar):
    p = tmp_path / "s_4x4_8bit_RGGB.raw"
    p.write_bytes(bytes(16))
    (tmp_path / (p.name + ".json")).write_text(sidecar)
    with pytest.raises(CaptureError) as e:
        load_capture(p)
    assert p.name + ".json" in str(e.value)


def test_unrelated_stem_json_is_ignored(tmp_path):
    p = tmp_path / "s_4x4_8bit_RGGB.raw"
    p.write_bytes(bytes(16))
    (tmp_path / "s_4x4_8bit_RGGB.json").write_text(json.dumps({"author": "someone else"}))
    assert load_capture(p).mosaic.shape == (4, 4)


def test_gpr_suffix_without_tiff_tags(tmp_path):
    p = tmp_path / "clip.GPR"
    p.write_bytes(b"II*\x00" + bytes(10))
    refused(p)
