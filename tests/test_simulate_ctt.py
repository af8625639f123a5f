"""A generated calibration set is usable by Raspberry Pi's tuning tool as it is.

Runs the real tool (PyPI ``rpi-ctt`` 1.4.0) on a set written by `write_calibration_set`:
``python -m ctt -i DIR -o OUT -t vc4``. Skipped, saying why, when the tool is not installed in
this interpreter and ``CAMTUNE_CTT_PYTHON`` does not name a Python that has it.
About 6 s to render the set and 5-10 s for the tool on 2 cores.
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from app.simulate.calibration_set import MANIFEST, write_calibration_set


def _ctt_python() -> str:
    if importlib.util.find_spec("ctt") is not None:
        return sys.executable
    other = os.environ.get("CAMTUNE_CTT_PYTHON")
    if other and subprocess.run([other, "-c", "import ctt"], capture_output=True).returncode == 0:
        return other
    pytest.skip("Raspberry Pi's tuning tool is not installed (pip install rpi-ctt==1.4.0, or set "
                "CAMTUNE_CTT_PYTHON to a Python that has it)")


def test_calibration_set_names_follow_the_tools_conventions(tmp_path):
    manifest = write_calibration_set(tmp_path, size=(320, 240), illuminants=("A", "D65", 3200))
    names = sorted(f["file"] for f in manifest["files"])
    assert names == sorted(["a_2856k_1000l.dng", "alsc_2856k_0.dng", "d65_6504k_1000l.dng",
                            "alsc_6504k_0.dng", "planck3200_3200k_1000l.dng", "alsc_3200k_0.dng",
                            "dark_0.dng", "dark_1.dng"])
    for f in manifest["files"]:
        assert (tmp_path / f["file"]).is_file() and (tmp_path / f["truth"]).is_file()
    assert json.loads((tmp_path / MANIFEST).read_text())["true_black_level"] == [256.0] * 4
    with pytest.raises(ValueError, match="colour temperature"):
        write_calibration_set(tmp_path / "x", size=(320, 240), illuminants=("F11", 4000))


def test_tuning_tool_calibrates_from_the_set(tmp_path):
    python = _ctt_python()
    data = tmp_path / "set"
    manifest = write_calibration_set(data)
    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.run([python, "-m", "ctt", "-i", str(data), "-o", str(out), "-t", "vc4"],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert proc.stdout.count("Macbeth found") == 4, proc.stdout
    tuning = json.loads((out / "set_vc4.json").read_text())
    algs = {name: body for block in tuning["algorithms"] for name, body in block.items()}
    ccms = algs["rpi.ccm"]["ccms"]
    assert len(ccms) >= 3
    alsc_cts = [c["ct"] for c in algs["rpi.alsc"]["calibrations_Cr"]]
    assert len(alsc_cts) >= 2
    truth = {p["cct_k"]: p for p in manifest["per_colour_temperature"]}
    assert sorted(alsc_cts) == sorted(truth)
    # The AWB curve's neutral points are the true camera neutrals (r/g, b/g) of each light.
    curve = np.array(algs["rpi.awb"]["ct_curve"]).reshape(-1, 3)
    for ct, r, b in curve:
        neutral = truth[int(ct)]["camera_neutral"]
        assert r == pytest.approx(neutral[0], rel=0.02) and b == pytest.approx(neutral[2], rel=0.02)
    # Black level: the pedestal (256 at 12 bits = 4096 on the tool's 16-bit scale) plus a
    # fraction of a DN of dark current.
    assert abs(algs["rpi.black_level"]["black_level"] - 4096) <= 24
    # Each CCM keeps neutrals neutral, as the true camera-to-sRGB matrices do.
    for c in ccms:
        m = np.array(c["ccm"]).reshape(3, 3)
        np.testing.assert_allclose(m.sum(axis=1), 1.0, atol=0.02)
