"""Round trips: every format the virtual camera writes reads back through camtune's loader (and
DNG through rawpy) to the same mosaic and metadata; the ground-truth sidecar and the CLI."""
from __future__ import annotations

import json
import time

import numpy as np
import pytest

from app.cli import run
from app.loaders import load_capture
from app.simulate import truth as truth_mod
from app.simulate import writers
from app.simulate.camera import CameraModel, Shot, simulate
from app.simulate.sensor import SensorParams


def _render(pattern="RGGB", bits=12, scene="colorchecker", size=(320, 240), **shot):
    camera = CameraModel(sensor=SensorParams(bits=bits, cfa=pattern))
    return simulate(Shot(scene=scene, width=size[0], height=size[1], **shot), camera)


@pytest.mark.parametrize("fmt, bits, pattern", [
    ("dng", 12, "RGGB"), ("dng", 16, "GBRG"), ("dng", 10, "BGGR"), ("dng", 14, "GRBG"),
    ("raw16", 12, "BGGR"), ("raw16", 14, "GRBG"), ("raw8", 8, "GBRG"),
    ("mipi10", 10, "RGGB"), ("mipi12", 12, "GRBG")])
def test_every_format_reads_back_through_the_loader(tmp_path, fmt, bits, pattern):
    result = _render(pattern, bits, illuminant="F11", iso=200)
    cap = result.capture
    files = writers.write_capture(cap, tmp_path / "chart", fmt)
    path = files[0]
    if fmt != "dng":
        assert path.name == f"chart_320x240_{bits}bit_{pattern}{'_' + fmt if fmt.startswith('mipi') else ''}.raw"
        assert files[1].name == path.name + ".json"
    truth_file = truth_mod.write_truth(truth_mod.with_file(result.truth, path, fmt), path)
    assert truth_file.name == path.name + ".truth.json"
    back = load_capture(path)
    assert np.array_equal(back.mosaic, cap.mosaic)
    assert back.mosaic.dtype == np.uint16
    assert (back.cfa, back.bits, back.white_level) == (pattern, bits, cap.white_level)
    assert tuple(back.black_level) == cap.black_level
    if fmt == "dng":
        assert back.as_shot_neutral == pytest.approx(cap.as_shot_neutral, abs=1e-6)
        np.testing.assert_allclose(back.color_matrix1, cap.color_matrix1, atol=1e-6)
        np.testing.assert_allclose(back.color_matrix2, cap.color_matrix2, atol=1e-6)
        assert (back.illuminant1, back.illuminant2) == (17, 21)
        assert back.exposure_time == pytest.approx(cap.exposure_time, rel=1e-9)
        assert back.iso == 200
        assert (back.make, back.model, back.unique_camera_model) == (cap.make, cap.model, cap.unique_camera_model)
    loaded_truth = truth_mod.read_truth(path)
    assert loaded_truth["capture"]["file"] == path.name and loaded_truth["capture"]["format"] == fmt


@pytest.mark.parametrize("pattern", ["RGGB", "BGGR", "GRBG", "GBRG"])
def test_dng_reads_bit_exactly_through_rawpy(tmp_path, pattern):
    rawpy = pytest.importorskip("rawpy")
    result = _render(pattern, 12, illuminant="A")
    cap = result.capture
    path = writers.write_dng(cap, tmp_path / f"x_{pattern}.dng")
    with rawpy.imread(str(path)) as raw:
        assert np.array_equal(raw.raw_image, cap.mosaic)
        assert list(raw.black_level_per_channel) == [256] * 4
        assert raw.white_level == 4095
        desc = raw.color_desc.decode()
        assert "".join(desc[i] for i in raw.raw_pattern.ravel()) == pattern
        wb = np.array(raw.camera_whitebalance[:3])
        np.testing.assert_allclose(wb / wb[1], 1 / np.array(cap.as_shot_neutral), rtol=1e-5)


def test_dng_carries_the_tags_real_cameras_write(tmp_path):
    import tifffile
    cap = _render(illuminant="D50").capture
    path = writers.write_dng(cap, tmp_path / "c.dng")
    with tifffile.TiffFile(path) as tif:
        ifd0 = tif.pages[0]
        tags0 = ifd0.tags
        for code in (50706, 271, 272, 50708, 50721, 50722, 50778, 50779, 50728, 33434, 34855):
            assert code in tags0, code
        assert tags0[271].value == "camtune" and tags0[50778].value == 17 and tags0[50779].value == 21
        assert tags0[254].value == 1  # IFD0 is the preview
        assert len(ifd0.subifds) == 1
        sub = ifd0.pages[0]           # SubIFD0: the raw image
        for code in (33421, 33422, 50710, 50711, 50713, 50714, 50717):
            assert code in sub.tags, code
        assert sub.tags[262].value == 32803 and sub.tags[254].value == 0
        assert tuple(sub.tags[50713].value) == (2, 2) and len(sub.tags[50714].value) == 4
        assert sub.tags[50717].value == 4095
        assert np.array_equal(sub.asarray(), cap.mosaic)


def test_truth_sidecar_documents_a_calibration_target(tmp_path):
    result = _render(scene="demo", size=(640, 360), illuminant="D65")
    t = result.truth
    assert t["schema"] == "camtune.virtual-camera.truth" and t["schema_version"] == 1
    json.dumps(t, allow_nan=False)  # plain JSON
    gains = np.array(t["white_balance"]["gains"])
    assert gains[1] == 1 and np.allclose(gains * t["white_balance"]["camera_neutral"], 1)
    ccm = np.array(t["colour"]["camera_to_srgb"])
    np.testing.assert_allclose(ccm.sum(axis=1), 1.0, atol=1e-6)
    assert set(t["noise_model"]) >= {"R", "G", "B", "formula"}
    for ch in "RGB":
        assert 0.1 < t["optics"]["mtf"]["channels"][ch]["system_mtf50_cy_px"] < 0.5
    geo = t["geometry"]
    assert len(geo["colorchecker"]["patches"]) == 24 and len(geo["grey_steps"]["steps"]) == 12
    assert len(geo["slanted_edges"]) == 8 and geo["siemens_star"]["cycles"] == 72
    assert geo["line_pairs"] and geo["sine_patches"]
    assert all(d["type"] in ("hot", "dead") for d in t["defects"])
    # The loaders never take the truth file for a geometry sidecar.
    cap = result.capture
    files = writers.write_capture(cap, tmp_path / "demo", "raw16")
    truth_mod.write_truth(t, files[0])
    assert load_capture(files[0]).black_level == cap.black_level


def test_output_names_follow_the_convention():
    cap = _render(bits=10, pattern="BGGR").capture
    assert writers.output_path("/x/y", "dng", cap).name == "y.dng"
    assert writers.output_path("/x/y.DNG", "dng", cap).name == "y.DNG"
    assert writers.output_path("/x/a", "raw16", cap).name == "a_320x240_10bit_BGGR.raw"
    assert writers.output_path("/x/a.raw", "mipi10", cap).name == "a_320x240_10bit_BGGR_mipi10.raw"
    assert writers.output_path("/x/a_320x240_10bit_BGGR.raw", "raw16", cap).name == "a_320x240_10bit_BGGR.raw"
    with pytest.raises(ValueError, match="says"):
        writers.output_path("/x/a_640x480_10bit_BGGR.raw", "raw16", cap)
    with pytest.raises(ValueError, match="8-bit"):
        writers.write_capture(cap, "/tmp/never", "raw8")


def test_simulate_command_writes_capture_and_truth(tmp_path, capsys):
    out = tmp_path / "sub" / "edge"
    assert run(["simulate", "--scene", "edge", "--size", "320x240", "--cct", "3500", "--iso", "400",
                "--seed", "5", "-o", str(out)]) == 0
    dng = tmp_path / "sub" / "edge.dng"
    assert dng.is_file() and (tmp_path / "sub" / "edge.dng.truth.json").is_file()
    cap = load_capture(dng)
    assert cap.iso == 400 and cap.width == 320
    t = truth_mod.read_truth(dng)
    assert t["illuminant"]["kind"] == "planckian" and t["illuminant"]["cct_k"] == 3500
    assert run(["simulate", "--scene", "flat", "--size", "320x240", "--format", "mipi12",
                "--pattern", "GRBG", "-o", str(tmp_path / "flat")]) == 0
    raw = tmp_path / "flat_320x240_12bit_GRBG_mipi12.raw"
    assert load_capture(raw).cfa == "GRBG"
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["simulate", "--size", "320x240"], "needs -o"),
    (["simulate", "--size", "321x240", "-o", "x"], "even"),
    (["simulate", "--size", "big", "-o", "x"], "WIDTHxHEIGHT"),
    (["simulate", "--size", "320x240", "--illuminant", "sodium", "-o", "x"], "unknown illuminant"),
    (["simulate", "--size", "320x240", "--cct", "500", "-o", "x"], "outside"),
    (["simulate", "--size", "320x240", "--format", "raw8", "--bits", "12", "-o", "x"], "8-bit"),
    (["simulate", "--size", "320x240", "--exposure", "-1", "-o", "x"], "exposure"),
    (["simulate", "--size", "320x240", "--vignetting", "0", "-o", "x"], "shading_falloff"),
])
def test_simulate_command_user_errors(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    assert run(argv) == 2
    assert message in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_demo_capture_is_fast_and_deterministic():
    from app.simulate.demo import demo_capture
    demo_capture((320, 180))  # warm the kernels
    t0 = time.perf_counter()
    a = demo_capture((1920, 1080))
    elapsed = time.perf_counter() - t0
    b = demo_capture("1920x1080")
    assert a.mosaic.shape == (1080, 1920) and a.cfa == "RGGB" and a.bits == 12
    assert np.array_equal(a.mosaic, b.mosaic)
    assert a.has_colour_metadata and a.as_shot_neutral is not None
    assert elapsed < 6.0  # about 0.1-0.3 s on 2 cores; generous for a loaded CI machine
