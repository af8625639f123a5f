"""The command line as a user meets it: real files in, clear one-line errors, nothing half-written."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from app.cli import run
from conftest import PROJECT


def cli(*args, cwd=PROJECT):
    return subprocess.run([sys.executable, "main.py", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_info_json_on_a_real_dng(shared, capsys):
    path = shared("captures/gopro/Hero6_GOPR0024.DNG")
    assert run(["info", str(path), "--json"]) == 0
    facts = json.loads(capsys.readouterr().out)
    assert (facts["width"], facts["height"], facts["cfa"]) == (4000, 3000, "RGGB")
    assert facts["white_level"] == 16383 and facts["iso"] == 100
    assert len(facts["color_matrix1"]) == 3 and facts["as_shot_neutral"]


def test_render_png_jpeg_and_preview(shared, tmp_path):
    path = shared("captures/infinite-isp/ColorCheckerRAW_1920x1080_12bit_BGGR.raw")
    assert run(["render", str(path), "-o", str(tmp_path / "a.png")]) == 0
    assert Image.open(tmp_path / "a.png").size == (1920, 1080)
    assert run(["render", str(path), "-o", str(tmp_path / "a.jpg"), "--demosaic", "rcd"]) == 0
    assert run(["render", str(path), "-o", str(tmp_path / "p.png"), "--preview", "480x480"]) == 0
    small = np.asarray(Image.open(tmp_path / "p.png"))
    assert small.shape == (270, 480, 3) and small.std() > 10  # a real picture, not a flat frame


def test_tap_writes_an_intermediate_stage(shared, tmp_path):
    path = shared("captures/mushfiqulalam/DSC_1339_768x512_rggb.raw")
    out = tmp_path / "demosaic.png"
    assert run(["render", str(path), "--raw-format", "768x512:14:RGGB:black=600:white=15520",
                "--tap", "demosaic", "-o", str(out)]) == 0
    assert np.asarray(Image.open(out)).shape == (512, 768, 3)


@pytest.mark.parametrize("content", [b"", b"\x00" * 1000, b"II*\x00garbage" * 50])
def test_bad_capture_gives_one_line_and_status_2(tmp_path, content):
    bad = tmp_path / "broken.dng"
    bad.write_bytes(content)
    out = tmp_path / "keep.png"
    out.write_bytes(b"previous render")
    result = cli("render", bad, "-o", out)
    assert result.returncode == 2
    assert "broken.dng" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert out.read_bytes() == b"previous render"  # the user's file is untouched


def test_missing_file_and_bad_options(tmp_path):
    result = cli("info", tmp_path / "nope.DNG")
    assert result.returncode == 2 and "nope.DNG" in result.stderr and "Traceback" not in result.stderr
    result = cli("render", tmp_path / "nope.DNG", "-o", tmp_path / "x.bmp")
    assert result.returncode == 2


def test_unwritable_output_is_a_clear_error(shared, tmp_path):
    path = shared("captures/mushfiqulalam/DSC_1339_768x512_rggb.raw")
    result = cli("render", path, "-o", tmp_path / "missing-folder" / "x.png")
    assert result.returncode == 2 and "does not exist" in result.stderr


def test_sixteen_bit_tiff_round_trips_and_png_refuses_it(tmp_path):
    import tifffile

    from app.errors import CamtuneError
    from app.output import write_image
    rgb = (np.arange(48 * 32 * 3, dtype=np.uint32).reshape(32, 48, 3) * 37 % 65536).astype(np.uint16)
    write_image(tmp_path / "x.tif", rgb)
    assert np.array_equal(tifffile.imread(tmp_path / "x.tif"), rgb)
    with pytest.raises(CamtuneError, match="16-bit"):
        write_image(tmp_path / "x.png", rgb)
    assert not (tmp_path / "x.png").exists()
