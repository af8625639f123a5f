"""Raspberry Pi libcamera tuning files (vc4 and pisp): import, export, round trip, carried blocks.

The real files are read from ../shared/tuning (skipped, saying so, when it is absent).
"""
from __future__ import annotations

import argparse
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.errors import CamtuneError
from conftest import SHARED, shared_file
from tuning_profiles import DEMO_PROFILE, default_profile, dumps_profile, load_profile, loads_profile
from tuning_profiles.commands import register
from tuning_profiles.formats import ImportOptions, export_profile, import_file, rpi_pisp, rpi_vc4
from tuning_profiles.formats.common import MARK
from tuning_profiles.textio import loads_lenient_json, strip_trailing_commas

VC4 = ["imx219.json", "imx296_mono.json", "imx477.json", "imx708.json", "ov5647.json", "ov64a40.json",
       "uncalibrated.json"]
PISP = ["imx219.json", "imx283.json", "imx477.json", "imx708.json", "uncalibrated.json"]
FILES = [("rpi-vc4", n) for n in VC4] + [("rpi-pisp", n) for n in PISP]
# Files whose export is byte for byte the shipped file (the others use trailing commas or write
# an integral number without a decimal point, e.g. `0` in a CCM, which camtune writes `0.0`).
VERBATIM = [("rpi-vc4", "imx219.json"), ("rpi-vc4", "imx477.json"), ("rpi-vc4", "imx708.json"),
            ("rpi-vc4", "ov5647.json"), ("rpi-pisp", "imx219.json"), ("rpi-pisp", "imx477.json"),
            ("rpi-pisp", "imx708.json")]
MODELLED_KEYS = {"rpi.black_level": {"black_level", "enabled"}, "rpi.sdn": {"strength", "enabled"},
                 "rpi.awb": {"ct_curve"}, "rpi.alsc": {"calibrations_Cr", "calibrations_Cb", "luminance_lut",
                                                      "luminance_strength", "enabled"},
                 "rpi.contrast": {"gamma_curve", "enabled"}, "rpi.ccm": {"ccms", "enabled"},
                 "rpi.sharpen": {"strength", "enabled"}, "rpi.denoise": {"normal", "enabled"},
                 "rpi.dpc": {"strength", "enabled"}}


def _file(fmt: str, name: str):
    return shared_file(f"tuning/libcamera/{fmt}/{name}")


def _blocks(doc: dict) -> list[tuple[str, dict]]:
    return [next(iter(item.items())) for item in doc["algorithms"]]


def _same(a, b) -> bool:
    """Equal as data, types included (1 and 1.0 differ), as a carried block must be."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def _close(a, b, tol: float) -> bool:
    """Equal as data with numbers within `tol` (1 and 1.0 are the same number here)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_close(a[k], b[k], tol) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y, tol) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(a, b, abs_tol=tol)
    return a == b


@pytest.mark.parametrize("fmt, name", FILES, ids=[f"{f}/{n}" for f, n in FILES])
def test_round_trip_reproduces_every_block(fmt, name):
    path = _file(fmt, name)
    detected, imported = import_file(path)
    assert detected == fmt
    out = export_profile(imported.profile, fmt)
    original = loads_lenient_json(path.read_text(), path)
    exported = json.loads(out.data)
    assert [n for n, _ in _blocks(exported)] == [n for n, _ in _blocks(original)]
    for (name_, old), (_, new) in zip(_blocks(original), _blocks(exported)):
        if name_ in MODELLED_KEYS:
            # modelled numbers within the format's rounding (ALSC 3 decimals, CCM 5), the rest verbatim
            assert _close(old, new, 5e-4), name_
            for key in set(old) - MODELLED_KEYS[name_]:
                assert _same(old[key], new[key]), f"{name_}.{key}"
        else:
            assert _same(old, new), name_  # carried byte for byte as data
    assert out.notes == ()


@pytest.mark.parametrize("fmt, name", VERBATIM, ids=[f"{f}/{n}" for f, n in VERBATIM])
def test_round_trip_is_verbatim_for_clean_files(fmt, name):
    path = _file(fmt, name)
    out = export_profile(import_file(path)[1].profile, fmt).data.decode()
    assert out.rstrip("\n") == path.read_text().rstrip("\n")


def test_every_shipped_file_imports():
    root = SHARED / "tuning" / "libcamera"
    if not root.exists():
        pytest.skip(f"{root} not found (real tuning files live in ../shared beside the project)")
    files = sorted(p for p in root.rglob("*") if p.suffix in (".json", ".yaml"))
    assert len(files) >= 16
    for path in files:
        fmt, imported = import_file(path)
        assert fmt in ("rpi-vc4", "rpi-pisp", "rkisp1"), path
        assert loads_profile(dumps_profile(imported.profile)) == imported.profile


def test_import_models_the_values_and_carries_the_rest():
    profile = import_file(_file("rpi-vc4", "imx477.json"), ImportOptions(bit_depth=12))[1].profile
    assert profile.stages.black_level.black == (256.0,) * 4  # 4096 on the 16-bit scale
    assert [e.ct for e in profile.ccm.tables] == [2850, 2960, 3580, 4559, 5881, 7600]
    assert profile.ccm.tables[0].matrix[:3] == (1.97469, -0.71439, -0.26031)
    assert (profile.wb.ct_curve[0].ct, profile.wb.ct_curve[0].r, profile.wb.ct_curve[0].b) == (2360.0, 0.6009, 0.3093)
    assert profile.lsc.shape() == (12, 16) and profile.lsc.luminance_strength == 0.5
    assert profile.lsc.tables[0].r[0][:3] == (2.088, 2.086, 2.082)
    assert profile.lsc.luminance[0][0] == 1.548
    assert profile.stages.tone.transfer == "linear" and profile.stages.tone.curve[1] == (0.0156252, 0.0769055)
    carried = dict(_blocks(profile.firmware["rpi-vc4"]))
    assert carried["rpi.ccm"] == {"ccms": MARK}
    assert carried["rpi.alsc"]["omega"] == 1.3 and carried["rpi.alsc"]["calibrations_Cr"] == MARK
    assert "channels" in carried["rpi.agc"]
    ten_bit = import_file(_file("rpi-vc4", "ov5647.json"), ImportOptions(bit_depth=10))[1].profile
    assert ten_bit.stages.black_level.black == (16.0,) * 4 and ten_bit.stages.black_level.white == 1023.0


def test_a_tuner_changes_the_ccms_and_keeps_the_agc():
    path = _file("rpi-vc4", "imx477.json")
    profile = import_file(path)[1].profile
    tables = [{"ct": e.ct, "matrix": [round(v * 1.01, 5) for v in e.matrix]} for e in profile.ccm.tables]
    edited = profile.replace(ccm={"tables": tables})
    exported = dict(_blocks(json.loads(export_profile(edited, "rpi-vc4").data)))
    original = dict(_blocks(loads_lenient_json(path.read_text(), path)))
    assert _same(exported["rpi.agc"], original["rpi.agc"])
    assert _same(exported["rpi.hdr"], original["rpi.hdr"])
    assert exported["rpi.ccm"]["ccms"][0]["ccm"][0] == round(1.97469 * 1.01, 5)


def test_vc4_seeds_pisp_with_resampled_alsc_and_pisp_defaults():
    profile = import_file(_file("rpi-vc4", "imx477.json"))[1].profile
    out = export_profile(profile, "rpi-pisp")
    blocks = dict(_blocks(json.loads(out.data)))
    assert [n for n, _ in _blocks(json.loads(out.data))][:6] == [
        "rpi.black_level", "rpi.lux", "rpi.dpc", "rpi.noise", "rpi.geq", "rpi.denoise"]
    assert blocks["rpi.lux"]["reference_lux"] == 830          # portable: from the vc4 file
    assert "channels" in blocks["rpi.agc"] and "rpi.sdn" not in blocks and "rpi.hdr" not in blocks
    assert blocks["rpi.denoise"]["normal"]["sdn"]["strength"] == 0.75
    cr = np.asarray(blocks["rpi.alsc"]["calibrations_Cr"][0]["table"]).reshape(32, 32)
    assert cr[0, 0] == 2.088 and cr[-1, -1] == 2.078          # corners held from the 16 x 12 corners
    assert any("resampled to 32 x 32" in n for n in out.notes)
    back = export_profile(import_file_from_bytes(out.data, "seeded.json"), "rpi-vc4")
    cr16 = np.asarray(dict(_blocks(json.loads(back.data)))["rpi.alsc"]["calibrations_Cr"][0]["table"])
    assert np.max(np.abs(cr16 - np.asarray(profile.lsc.tables[0].r).ravel())) < 0.01


def import_file_from_bytes(data: bytes, name: str, tmp=None):
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / name
        path.write_bytes(data)
        return import_file(path)[1].profile


def test_default_blocks_are_the_tuning_tool_templates():
    for target, template_name in ((rpi_vc4, "vc4_template.json"), (rpi_pisp, "pisp_template.json")):
        path = shared_file(f"tuning/rpi-ctt/{template_name}")
        template = loads_lenient_json(path.read_text(), path)
        for name, block in target.defaults().items():
            expected = template[name]
            if name == "rpi.agc" and "channels" in expected:
                ours, theirs = block["channels"][0], expected["channels"][0]
                assert ours["metering_modes"]["matrix"] == theirs["metering_modes"]["matrix"]
                ours = {k: v for k, v in ours.items() if k != "metering_modes"}
                assert ours == {k: v for k, v in theirs.items() if k in ours}
                continue
            assert _subset(block, expected), f"{template_name} {name}"


def _subset(ours, theirs) -> bool:
    if ours == MARK:
        return True
    if isinstance(ours, dict):
        return isinstance(theirs, dict) and all(v == MARK or (k in theirs and _subset(v, theirs[k]))
                                                for k, v in ours.items())
    return _same(ours, theirs)


def test_exporting_a_fresh_profile_gives_a_complete_file():
    for fmt, target in (("rpi-vc4", rpi_vc4.TARGET), ("rpi-pisp", rpi_pisp.TARGET)):
        out = export_profile(load_profile(DEMO_PROFILE), fmt)
        doc = json.loads(out.data)
        assert doc["target"] == target.target
        assert [n for n, _ in _blocks(doc)] == list(target.order)
        blocks = dict(_blocks(doc))
        assert len(blocks["rpi.alsc"]["calibrations_Cr"][0]["table"]) == target.cols * target.rows
        assert blocks["rpi.black_level"]["black_level"] == 4096
        assert len(blocks["rpi.ccm"]["ccms"]) == 6 and blocks["rpi.awb"]["bayes"] == 1
        assert blocks["rpi.contrast"]["gamma_curve"][0::2] == list(target.gamma_knots)
        assert MARK not in out.data.decode()
    notes = export_profile(default_profile(), "rpi-vc4").notes
    assert any("no CCMs written" in n for n in notes) and any("template value 4096" in n for n in notes)


def test_exports_are_deterministic():
    profile = import_file(_file("rpi-pisp", "imx708.json"))[1].profile
    for fmt in ("rpi-vc4", "rpi-pisp"):
        again = loads_profile(dumps_profile(profile))
        assert export_profile(profile, fmt).data == export_profile(again, fmt).data


def test_alsc_from_green_grids_folds_them_into_the_luminance_table():
    table = {"ct": 4000, "r": [[2.0, 4.0]] * 2, "gr": [[1.0, 2.0]] * 2, "gb": [[1.0, 2.0]] * 2, "b": [[3.0, 6.0]] * 2}
    profile = default_profile().replace(lsc={"gains": "absolute", "tables": [table]})
    out = export_profile(profile, "rpi-vc4")
    alsc = dict(_blocks(json.loads(out.data)))["rpi.alsc"]
    assert set(alsc["calibrations_Cr"][0]["table"]) == {2.0}        # r / g
    assert set(alsc["calibrations_Cb"][0]["table"]) == {3.0}        # b / g
    lut = np.asarray(alsc["luminance_lut"]).reshape(12, 16)
    assert lut[0, 0] == 1.0 and lut[0, -1] == 2.0 and alsc["luminance_strength"] == 1.0
    assert any("averaged" in n for n in out.notes)


@pytest.mark.parametrize("text, expected", [
    ('{"version": 2.0, "target": "bcm2835", "algorithms": [', "line 1, column 54: Expecting value"),
    ('{"version": 2.0, "target": "bcm2835"}', "not a tuning file camtune can import"),
    ('{"version": 2.0, "target": "bcm2835", "algorithms": {}}', "algorithms: expected a list, got an object"),
    ('{"version": 2.0, "target": "bcm2835", "algorithms": [{"rpi.a": {}, "rpi.b": {}}]}',
     "algorithms[0]: expected one 'rpi.NAME' key, got 2 keys"),
    ('{"version": 2.0, "target": "bcm2835", "algorithms": [{"rpi.ccm": {"ccms": [{"ct": 3000, "ccm": [1, 2]}]}}]}',
     "algorithms[0].rpi.ccm.ccms[0].ccm: expected 9 numbers, got 2"),
    ('{"version": 2.0, "target": "bcm2835", "algorithms": [{"rpi.ccm": {"ccms": [{"ct": 3000, "ccm": '
     '[1, 0, 0, 0, 1, 0, 0, 0, "x"]}]}}]}', "algorithms[0].rpi.ccm.ccms[0].ccm[8]: expected a number, got 'x'"),
    ('{"version": 2.0, "target": "bcm2835", "algorithms": [{"rpi.alsc": {"luminance_lut": [1, 1, 1]}}]}',
     "algorithms[0].rpi.alsc.luminance_lut: expected 192 numbers, got 3"),
    ('{"version": 2.0, "target": "pisp", "algorithms": [{"rpi.awb": {"ct_curve": [5000, 0.5, 0.5, 3000, 0.6, 0.4]}}]}',
     "algorithms[0].rpi.awb.ct_curve: colour temperatures must increase: 3000 follows 5000"),
    ('{"version": 2.0, "target": "bcm2835", "algorithms": [{"rpi.ccm": {"ccms": [{"ct": 3000, "ccm": '
     '[9, 0, 0, 0, 1, 0, 0, 0, 1]}]}}]}', "cannot be held in a camtune profile: ccm.tables[0].matrix[0]: 9 is above"),
    ('{"version": 1.0, "target": "bcm2835", "algorithms": []}', "version: 1 is not a supported version (2.0)"),
    ('{"rpi.black_level": {"black_level": 4096}}', "a Raspberry Pi version 1.0 tuning file"),
    ('{"version": 2.0, "target": "hailo", "algorithms": []}', "target: 'hailo' is not a supported"),
    ('{"version": 2.0, "target": "pisp", "algorithms": [{"rpi.lux": {"reference_Y": NaN}}]}',
     "NaN is not a number JSON allows"),
    ('{"version": 2.0, "target": "pisp", "algorithms": [{"rpi.contrast": {"gamma_curve": [0, 0, 70000, 1]}}]}',
     "algorithms[0].rpi.contrast.gamma_curve[2]: 70000 is above the maximum 65535"),
])
def test_bad_files_name_the_file_and_the_place(tmp_path, text, expected):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(CamtuneError) as err:
        import_file(path)
    assert str(err.value).startswith(f"{path}: ")
    assert expected in str(err.value)


def test_absurd_sizes_are_refused(tmp_path):
    path = tmp_path / "huge.json"
    path.write_text(json.dumps({"version": 2.0, "target": "bcm2835", "algorithms": [
        {"rpi.ccm": {"ccms": [{"ct": 1000 + i, "ccm": [1, 0, 0, 0, 1, 0, 0, 0, 1]} for i in range(500)]}}]}))
    with pytest.raises(CamtuneError, match=r"algorithms\[0\].rpi.ccm.ccms: 500 items is absurd here"):
        import_file(path)


def _strategy_json():
    scalars = st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False, allow_infinity=False) \
        | st.text(alphabet=",]}[{ \"\\ab", max_size=6)
    return st.recursive(scalars, lambda kids: st.lists(kids, max_size=4) |
                        st.dictionaries(st.text(alphabet="ab,]}", max_size=4), kids, max_size=4), max_leaves=15)


def _with_trailing_commas(value) -> str:
    if isinstance(value, dict):
        return "{" + "".join(f"{json.dumps(k)}: {_with_trailing_commas(v)}, " for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + "".join(f"{_with_trailing_commas(v)},\n " for v in value) + "]"
    return json.dumps(value)


@settings(max_examples=80, deadline=None)
@given(_strategy_json())
def test_lenient_reader_accepts_trailing_commas_and_leaves_strings_alone(value):
    assert loads_lenient_json(_with_trailing_commas(value), "x.json") == value
    assert strip_trailing_commas(json.dumps(value)) == json.dumps(value)


def test_export_and_import_commands(tmp_path, capsys):
    def run(*argv):
        parser = argparse.ArgumentParser()
        register(parser.add_subparsers())
        args = parser.parse_args([str(a) for a in argv])
        return args.handler(args)

    src = _file("rpi-vc4", "imx477.json")
    assert run("import", src, "-o", tmp_path / "imx477.json", "--bit-depth", "12", "--cfa", "BGGR") == 0
    captured = capsys.readouterr()
    assert "wrote" in captured.out and "6 CCMs" in captured.out and "assumed" not in captured.err
    assert load_profile(tmp_path / "imx477.json").identity.cfa == "BGGR"
    assert run("export", tmp_path / "imx477.json", "--format", "rpi-vc4", "-o", tmp_path / "out.json") == 0
    assert (tmp_path / "out.json").read_text().rstrip() == src.read_text().rstrip()
    # bad input: clear error, the output left as it was
    (tmp_path / "broken.json").write_text('{"version": 2.0, "target": "pisp", "algorithms": [{"rpi.ccm": 5}]}')
    before = (tmp_path / "imx477.json").read_bytes()
    with pytest.raises(CamtuneError, match=r"broken.json: algorithms\[0\].rpi.ccm: expected an object, got 5"):
        run("import", tmp_path / "broken.json", "-o", tmp_path / "imx477.json")
    assert (tmp_path / "imx477.json").read_bytes() == before
    with pytest.raises(CamtuneError, match="the folder does not exist"):
        run("export", tmp_path / "imx477.json", "--format", "rpi-pisp", "-o", tmp_path / "no" / "out.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.json", "imx477.json", "out.json"]


def test_cli_exit_status_for_bad_input(tmp_path, capsys):
    from app.cli import run
    (tmp_path / "bad.json").write_text('{"version": 2.0, "target": "bcm2835", "algorithms": [}')
    assert run(["import", str(tmp_path / "bad.json"), "-o", str(tmp_path / "p.json")]) == 2
    assert "bad.json: line 1, column 54" in capsys.readouterr().err
    assert not (tmp_path / "p.json").exists()
