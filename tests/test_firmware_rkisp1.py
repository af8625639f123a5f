"""Rockchip RkISP1 YAML: import, export, exact round trip of the 17 x 17 Q10 tables, resampling."""
from __future__ import annotations

import numpy as np
import pytest
import yaml

from app.errors import CamtuneError
from conftest import shared_file
from tuning_profiles import DEMO_PROFILE, default_profile, dumps_profile, load_profile, loads_profile
from tuning_profiles.formats import export_profile, import_file, rkisp1
from tuning_profiles.formats.common import MARK

FILES = ["imx219.yaml", "imx258.yaml", "ov5640.yaml", "uncalibrated.yaml"]


def _file(name):
    return shared_file(f"tuning/libcamera/rkisp1/{name}")


def _blocks(doc):
    return [next(iter(item.items())) for item in doc["algorithms"]]


@pytest.mark.parametrize("name", FILES)
def test_round_trip_is_exact_as_data(name):
    path = _file(name)
    fmt, imported = import_file(path)
    assert fmt == "rkisp1"
    again = loads_profile(dumps_profile(imported.profile))  # through the profile file, too
    out = export_profile(again, "rkisp1")
    assert yaml.safe_load(out.data) == yaml.safe_load(path.read_text())
    assert out.notes == ()


def test_tables_keep_their_nodes_order_and_extras():
    profile = import_file(_file("imx258.yaml"))[1].profile
    lsc = profile.lsc
    assert lsc.gains == "absolute" and lsc.grid.layout == "nodes" and lsc.shape() == (17, 17)
    assert lsc.grid.x == tuple(i / 16 for i in range(17))
    assert [t.ct for t in lsc.tables] == [2856, 4000, 4230, 5003, 6504, 7504]   # sorted in the profile
    assert lsc.tables[0].r[0][0] == 1483 / 1024
    out = yaml.safe_load(export_profile(profile, "rkisp1").data)
    sets = dict(_blocks(out))["LensShadingCorrection"]["sets"]
    assert [s["ct"] for s in sets] == [2856, 5003, 6504, 7504, 4000, 4230]     # the file's order back
    assert all(s["resolution"] == "4208x3120" for s in sets)
    carried = dict(_blocks(profile.firmware["rkisp1"]))
    assert carried["LensShadingCorrection"]["sets"][0] == {"ct": 2856, "resolution": "4208x3120", "r": MARK,
                                                          "gr": MARK, "gb": MARK, "b": MARK}


def test_uneven_sectors_round_trip(tmp_path):
    sizes = [0.1, 0.08, 0.06, 0.05, 0.05, 0.05, 0.05, 0.06]
    table = list(range(1024, 1024 + 289))
    text = yaml.safe_dump({"version": 1, "algorithms": [{"LensShadingCorrection": {
        "x-size": sizes, "y-size": sizes[::-1],
        "sets": [{"ct": 3000, "r": table, "gr": table, "gb": table, "b": table}]}}]})
    (tmp_path / "lsc.yaml").write_text(text)
    profile = import_file(tmp_path / "lsc.yaml")[1].profile
    assert profile.lsc.grid.x[:3] == (0.0, 0.1, 0.18) and profile.lsc.grid.x[8] == 0.5
    assert profile.lsc.grid.x[-2] == pytest.approx(0.9)
    out = yaml.safe_load(export_profile(profile, "rkisp1").data)
    block = dict(_blocks(out))["LensShadingCorrection"]
    assert block["x-size"] == sizes and block["y-size"] == sizes[::-1]
    assert block["sets"][0]["r"] == table


def test_other_formats_export_to_rkisp1():
    vc4 = import_file(shared_file("tuning/libcamera/rpi-vc4/imx477.json"))[1].profile
    out = export_profile(vc4, "rkisp1")
    doc = yaml.safe_load(out.data)
    blocks = dict(_blocks(doc))
    assert [n for n, _ in _blocks(doc)] == ["Agc", "Awb", "BlackLevelCorrection", "LensShadingCorrection", "Ccm",
                                            "GammaOutCorrection", "Filter"]
    assert blocks["BlackLevelCorrection"] == {"R": 4096, "Gr": 4096, "Gb": 4096, "B": 4096}
    assert blocks["Awb"]["colourGains"][0] == {"ct": 2360, "gains": [pytest.approx(1 / 0.6009), pytest.approx(1 / 0.3093)]}
    sets = blocks["LensShadingCorrection"]["sets"]
    assert len(sets) == 3 and all(len(s[c]) == 289 for s in sets for c in ("r", "gr", "gb", "b"))
    for s in sets:  # relative tables are normalised per channel: the smallest gain is 1.0
        assert min(s["r"]) == 1024 and min(s["gr"]) == 1024 and max(s["r"]) <= 4095
    assert 1.9 < blocks["GammaOutCorrection"]["gamma"] < 2.4  # the RPi tone curve's closest power law
    assert blocks["Ccm"]["ccms"][0]["ccm"][:2] == [1.97469, -0.71439]
    assert any("gamma" in n for n in out.notes) and any("Dpf" in n for n in out.notes)
    demo = yaml.safe_load(export_profile(load_profile(DEMO_PROFILE), "rkisp1").data)
    assert dict(_blocks(demo))["GammaOutCorrection"] is None  # sRGB: libcamera's default 2.2, not written
    assert len(dict(_blocks(demo))["LensShadingCorrection"]["sets"]) == 1


def test_colour_gains_and_ccm_offsets_round_trip(tmp_path):
    doc = {"version": 1, "algorithms": [
        {"Awb": {"algorithm": "grey", "colourGains": [{"ct": 5000, "gains": [1.6641, 1.2]},
                                                       {"ct": 2800, "gains": [1.0 / 0.61, 2.5]}]}},
        {"Ccm": {"ccms": [{"ct": 2800, "ccm": [1.5, -0.3, -0.2, -0.2, 1.4, -0.2, 0.0, -0.6, 1.6],
                           "offsets": [0, 2, -1]}]}}]}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    profile = import_file(tmp_path / "c.yaml")[1].profile
    assert [p.ct for p in profile.wb.ct_curve] == [2800, 5000]
    out = yaml.safe_load(export_profile(profile, "rkisp1").data)
    blocks = dict(_blocks(out))
    assert blocks["Awb"]["algorithm"] == "grey"
    expected = sorted(doc["algorithms"][0]["Awb"]["colourGains"], key=lambda e: e["ct"])
    assert blocks["Awb"]["colourGains"] == [{"ct": e["ct"], "gains": pytest.approx(e["gains"], rel=1e-15)}
                                           for e in expected]
    assert blocks["Awb"]["colourGains"][1]["gains"] == [1.6641, 1.2]  # short numbers stay short
    assert blocks["Ccm"] == doc["algorithms"][1]["Ccm"]


@pytest.mark.parametrize("text, expected", [
    ("version: 1\nalgorithms:\n  - Awb: [1, 2\n", "line 4, column 1"),
    ("version: 2\nalgorithms: []\n", "not a tuning file camtune can import"),
    ("version: 1\nalgorithms:\n  - LensShadingCorrection:\n      x-size: [0.1]\n",
     "algorithms[0].LensShadingCorrection.x-size: expected 8 numbers, got 1"),
    ("version: 1\nalgorithms:\n  - LensShadingCorrection:\n      x-size: [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]\n",
     "x-size: the sector sizes must add up to 0.5, got 0.8"),
    ("version: 1\nalgorithms:\n  - Ccm:\n      ccms:\n        - ct: 3000\n          ccm: [1, 0, 0]\n",
     "algorithms[0].Ccm.ccms[0].ccm: expected 9 numbers, got 3"),
    ("version: 1\nalgorithms:\n  - GammaOutCorrection:\n      gamma: 12\n",
     "algorithms[0].GammaOutCorrection.gamma: 12 is above the maximum 3"),
    ("version: 1\nalgorithms:\n  - Awb: 5\n", "algorithms[0].Awb: expected an object, got 5"),
])
def test_bad_files_name_the_file_and_the_place(tmp_path, text, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(CamtuneError) as err:
        import_file(path)
    assert str(err.value).startswith(f"{path}: ") and expected in str(err.value)


def test_yaml_numbers_stay_numbers():
    assert rkisp1._scalar(1e-05) == "1.0e-05" and yaml.safe_load(rkisp1._scalar(1e-05)) == 1e-05
    assert rkisp1._scalar(0.0625) == "0.0625" and rkisp1._scalar("a\"b") == '"a\\"b"'
    assert yaml.safe_load(export_profile(default_profile(), "rkisp1").data)["algorithms"][0] == {"Agc": None}


def test_node_positions_mirror_the_half_frame():
    nodes = rkisp1.node_positions([0.0625] * 8)
    assert nodes == [i / 16 for i in range(17)]
    assert rkisp1.sector_sizes(tuple(nodes)) == [0.0625] * 8
    assert rkisp1.sector_sizes(tuple(np.linspace(0, 1, 17) ** 1.1)) is None
