"""The tuning profile: schema, validation messages, migrations, atomic save, resolve, diff, commands."""
from __future__ import annotations

import argparse
import json
import os
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.errors import CamtuneError
from app.isp.stages import ColourMatrix, Denoise, IspParams, LensShading, Sharpen, WhiteBalance
from tuning_profiles import (DEFAULT_PROFILE, DEMO_PROFILE, CaptureFacts, Profile, default_profile,
                             dumps_profile, facts_for_capture, load_profile, loads_profile, resolve,
                             save_profile)
from tuning_profiles import interp
from tuning_profiles.commands import register
from tuning_profiles.diff import diff_profiles
from tuning_profiles.migrations import STEPS, migrate
from tuning_profiles.model import SCHEMA_VERSION, CcmEntry, CtPoint, DenoiseEntry, LscEntry, SharpenEntry

FIXTURES = DEFAULT_PROFILE.parent / "fixtures"
IDENTITY = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]


def _doc(**sections) -> dict:
    return {"schema_version": 2, **sections}


def _message(text: str) -> str:
    with pytest.raises(CamtuneError) as err:
        loads_profile(text, "p.json")
    return str(err.value)


def _run(*argv):
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args([str(a) for a in argv])
    return args.handler(args)


# ------------------------------------------------------------------ shipped profiles, format

def test_default_profile_is_the_engine_defaults_with_no_tables():
    p = default_profile()
    assert p.stages == IspParams()
    assert not (p.ccm.tables or p.lsc.tables or p.wb.ct_curve or p.denoise.by_gain or p.sharpen.by_gain)
    assert resolve(p, CaptureFacts(ct=3000, gain=8)) == IspParams()


@pytest.mark.parametrize("path", [DEFAULT_PROFILE, DEMO_PROFILE], ids=lambda p: p.name)
def test_shipped_profiles_are_written_canonically(path):
    text = path.read_text(encoding="utf-8")
    assert dumps_profile(loads_profile(text)) == text


def test_file_is_deterministic_and_one_parameter_per_line():
    p = load_profile(FIXTURES / "profile_v1.json")
    text = dumps_profile(p)
    assert text == dumps_profile(loads_profile(text))
    assert '      "gamma": 2.4,\n' in text  # stage parameters each on their own line
    assert "\n      {\"ct\": 2850.0, \"matrix\": [1.9, -0.7" in text  # table entries compact
    assert loads_profile(text) == p


def test_table_entries_reuse_the_stage_declarations():
    assert CcmEntry.model_fields["matrix"].json_schema_extra == ColourMatrix.model_fields["matrix"].json_schema_extra
    assert CcmEntry.model_fields["matrix"].is_required()
    for name in ("luma_strength", "chroma_strength"):
        assert DenoiseEntry.model_fields[name].json_schema_extra == Denoise.model_fields[name].json_schema_extra
    assert SharpenEntry.model_fields["strength"].description == Sharpen.model_fields["strength"].description
    lsc = LensShading.spec("gains")
    extra = LscEntry.model_fields["r"].json_schema_extra
    assert (extra["minimum"], extra["maximum"]) == (lsc.minimum, lsc.maximum)
    wb = WhiteBalance.spec("gains")
    assert CtPoint.model_fields["r"].json_schema_extra["maximum"] == 1.0 / wb.minimum


# ------------------------------------------------------------------ validation messages

def test_the_issue_example_message():
    tables = [{"ct": 2850, "matrix": IDENTITY}, {"ct": 4000, "matrix": IDENTITY}, {"ct": 6500, "matrix": IDENTITY[:8]}]
    assert _message(json.dumps(_doc(ccm={"tables": tables}))) == \
        "p.json: ccm.tables[2].matrix: expected 9 numbers, got 8"


@pytest.mark.parametrize("doc, expected", [
    (_doc(ccm={"tables": [{"ct": 3000, "matrix": IDENTITY + [1.0]}]}), "ccm.tables[0].matrix: expected 9 numbers, got 10"),
    (_doc(stages={"ccm": {"matrix": [9.0] + IDENTITY[1:]}}), "stages.ccm.matrix[0]: 9 is above the maximum 8"),
    (_doc(stages={"tone": {"gamma": 0.5}}), "stages.tone.gamma: 0.5 is below the minimum 1"),
    (_doc(stages={"tone": {"foo": 1}}), "stages.tone.foo: unknown key"),
    (_doc(colour={"hue": 1}), "colour: unknown key"),
    (_doc(identity={"bit_depth": "twelve"}), "identity.bit_depth: expected a whole number, got 'twelve'"),
    (_doc(identity={"cfa": "XYZW"}), "identity.cfa: expected 'RGGB', 'BGGR', 'GRBG', 'GBRG' or 'mono', got 'XYZW'"),
    (_doc(ccm={"tables": [{"ct": 2850, "matrix": IDENTITY}, {"ct": 2850, "matrix": IDENTITY}]}),
     "ccm.tables[1].ct: 2850 does not follow 2850"),
    (_doc(ccm={"tables": [{"ct": 2850}]}), "ccm.tables[0].matrix: missing (required)"),
    (_doc(wb={"ct_curve": [{"ct": 3000, "r": 40.0, "b": 0.5}]}), "wb.ct_curve[0].r: 40 is above the maximum 20"),
    (_doc(denoise={"by_gain": [{"gain": 1, "luma_strength": 1.5, "chroma_strength": 0.1}]}),
     "denoise.by_gain[0].luma_strength: 1.5 is above the maximum 1"),
    (_doc(lsc={"tables": [{"ct": 3000, "r": [[1, 1], [1, 1]], "b": [[1, 1, 1], [1, 1, 1]]}]}),
     "lsc.tables[0].b: 3 x 2 samples, but tables[0].r has 2 x 2"),
    (_doc(lsc={"tables": [{"ct": 3000, "r": [[1, 1], [1]], "b": [[1, 1], [1, 1]]}]}),
     "lsc.tables[0].r[1]: expected 2 numbers like row 0, got 1"),
    (_doc(lsc={"tables": [{"ct": 3000, "r": [[1.0] * 200] * 2, "b": [[1.0] * 200] * 2}]}),
     "lsc.tables[0].r: 200 x 2 samples, at most 128 per side"),
    (_doc(ccm={"tables": [{"ct": 1000 + 10 * i, "matrix": IDENTITY} for i in range(100)]}),
     "ccm.tables: 100 entries, at most 64 are allowed"),
    (_doc(lsc={"grid": {"layout": "nodes", "x": [0, 0.5, 1]}}), "lsc.grid.y: a 'nodes' layout needs the node positions"),
    (_doc(firmware={"rkisp1": {"algorithms": [{"Awb": 1}]}}),
     "firmware.rkisp1.algorithms[0].Awb: expected an object or nothing"),
    (_doc(firmware={"rpi-vc4": {"algorithms": [{"rpi.lux": {"reference_Y": float("nan")}}]}}),
     "firmware.rpi-vc4.algorithms[0].rpi.lux.reference_Y: nan is not a finite number"),
    (_doc(firmware={"android": {}}), "firmware: unknown firmware format 'android'; expected one of rpi-vc4, rpi-pisp, rkisp1"),
])
def test_messages_name_the_path_and_the_reason(doc, expected):
    assert expected in _message(json.dumps(doc))


def test_nan_and_infinity_are_reported_where_they_are():
    text = '{"schema_version": 2, "stages": {"tone": {"gamma": NaN}, "exposure": {"ev": Infinity}}}'
    msg = _message(text)
    assert msg.startswith("p.json: 2 problems:")
    assert "stages.exposure.ev: inf is not a finite number" in msg
    assert "stages.tone.gamma: nan is not a finite number" in msg


@pytest.mark.parametrize("text, expected", [
    ('{"schema_version": 2,', "p.json: line 1, column 22: Expecting property name enclosed in double quotes"),
    ('[1, 2]', "p.json: expected a JSON object at the top level, got a list of 2"),
    ('{"schema_version": 2, "ccm": {}, "ccm": {}}', "p.json: duplicate key 'ccm'"),
    ('{"identity": {}}', "p.json: schema_version: missing; is this a camtune profile?"),
    ('{"schema_version": 99}', "p.json: schema_version: 99 is newer than this camtune understands"),
    ('{"schema_version": "2"}', "p.json: schema_version: expected a whole number, got '2'"),
])
def test_unreadable_files(text, expected):
    assert _message(text).startswith(expected)


def test_missing_and_binary_files(tmp_path):
    with pytest.raises(CamtuneError, match="no such file"):
        load_profile(tmp_path / "nope.json")
    (tmp_path / "bin.json").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    with pytest.raises(CamtuneError, match="not UTF-8 text"):
        load_profile(tmp_path / "bin.json")


@settings(max_examples=40, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.floats(allow_nan=True) | st.text(max_size=5),
                    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=5), kids, max_size=3),
                    max_leaves=12))
def test_any_json_value_in_any_section_fails_cleanly(value):
    for key in ("identity", "stages", "ccm", "lsc", "wb", "denoise", "sharpen", "firmware"):
        try:
            loads_profile(json.dumps({"schema_version": 2, key: value}), "p.json")
        except CamtuneError as err:
            assert str(err).startswith("p.json: ")


# ------------------------------------------------------------------ migrations

def test_every_old_version_has_a_step_and_a_frozen_fixture():
    assert sorted(STEPS) == list(range(1, SCHEMA_VERSION))
    frozen = {json.loads(p.read_text())["version"] for p in FIXTURES.glob("profile_v*.json")}
    assert frozen == set(STEPS)


def test_v1_fixture_migrates_to_the_current_layout():
    raw = json.loads((FIXTURES / "profile_v1.json").read_text())
    before = json.dumps(raw)
    p = load_profile(FIXTURES / "profile_v1.json")
    assert json.dumps(raw) == before  # steps do not touch their input
    assert (p.identity.name, p.identity.bit_depth, p.identity.cfa, p.identity.base_iso) == ("proto-bggr", 10, "BGGR", 50)
    # v1 black levels were per tile position (BGGR: B, Gb, Gr, R); v2 per channel (R, Gr, Gb, B).
    assert raw["params"]["black_level"]["black"] == [66.0, 64.0, 65.0, 63.0]
    assert p.stages.black_level.black == (63.0, 65.0, 64.0, 66.0)
    assert p.ccm.tables[0].matrix == (1.9, -0.7, -0.2, -0.4, 2.0, -0.6, -0.05, -0.85, 1.9)
    assert [(c.ct, c.r, c.b) for c in p.wb.ct_curve][0] == (2850, 0.52, 0.41)
    assert [e.gain for e in p.denoise.by_gain] == [1.0, 16.0]  # ISO 50 and 800 at base ISO 50
    assert p.sharpen.by_gain[1].strength == 0.4
    assert p.lsc.gains == "relative" and len(p.lsc.tables) == 2
    assert migrate(raw)["schema_version"] == SCHEMA_VERSION


def test_saving_a_migrated_profile_writes_the_current_version(tmp_path):
    p = load_profile(FIXTURES / "profile_v1.json")
    save_profile(p, tmp_path / "p.json")
    data = json.loads((tmp_path / "p.json").read_text())
    assert data["schema_version"] == SCHEMA_VERSION and "version" not in data
    assert load_profile(tmp_path / "p.json") == p


def test_a_v1_problem_is_reported_in_current_terms():
    raw = json.loads((FIXTURES / "profile_v1.json").read_text())
    raw["colour"]["ccms"][1]["ccm"][2] = [1.0, 2.0]
    assert "ccm.tables[1].matrix: expected 9 numbers, got 8" in _message(json.dumps(raw))


# ------------------------------------------------------------------ saving

def test_save_keeps_the_previous_file_as_bak(tmp_path):
    path = tmp_path / "p.json"
    first = default_profile()
    save_profile(first, path)
    second = first.replace(identity={**first.identity.model_dump(), "name": "second"})
    save_profile(second, path)
    assert load_profile(path).identity.name == "second"
    assert load_profile(tmp_path / "p.json.bak") == first
    assert sorted(x.name for x in tmp_path.iterdir()) == ["p.json", "p.json.bak"]


def test_a_failed_save_leaves_the_file_and_no_debris(tmp_path, monkeypatch):
    path = tmp_path / "p.json"
    save_profile(default_profile(), path)
    before = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(CamtuneError, match="p.json: cannot write: No space left on device"):
        save_profile(load_profile(FIXTURES / "profile_v1.json"), path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(x.name for x in tmp_path.iterdir()) == ["p.json", "p.json.bak"]


# ------------------------------------------------------------------ resolve

def _profile(**sections) -> Profile:
    return Profile().replace(**sections)


def test_ccm_and_wb_interpolate_linearly_in_ct_and_clamp():
    a = [1.5, -0.5, 0.0, -0.25, 1.5, -0.25, 0.0, -0.5, 1.5]
    b = [2.5, -1.5, 0.0, -0.75, 2.5, -0.75, 0.0, -1.5, 2.5]
    p = _profile(stages=IspParams().with_stage("ccm", source="manual"),
                 ccm={"tables": [{"ct": 3000, "matrix": a}, {"ct": 5000, "matrix": b}]},
                 wb={"ct_curve": [{"ct": 3000, "r": 0.8, "b": 0.4}, {"ct": 5000, "r": 0.4, "b": 0.8}]})
    assert resolve(p, CaptureFacts(ct=4000)).ccm.matrix == pytest.approx([(x + y) / 2 for x, y in zip(a, b)])
    assert resolve(p, CaptureFacts(ct=3500)).ccm.matrix == pytest.approx([0.75 * x + 0.25 * y for x, y in zip(a, b)])
    assert resolve(p, CaptureFacts(ct=2000)).ccm.matrix == pytest.approx(a)
    assert resolve(p, CaptureFacts(ct=9000)).ccm.matrix == pytest.approx(b)
    assert resolve(p, CaptureFacts(ct=4000)).wb.gains == pytest.approx((1 / 0.6, 1.0, 1 / 0.6))
    assert resolve(p).ccm.matrix == pytest.approx(b)  # unknown CT: 5000 K


def test_denoise_and_sharpen_interpolate_in_gain_and_clamp():
    p = _profile(denoise={"by_gain": [{"gain": 1, "luma_strength": 0.1, "chroma_strength": 0.2},
                                      {"gain": 8, "luma_strength": 0.8, "chroma_strength": 0.9}]},
                 sharpen={"by_gain": [{"gain": 2, "strength": 1.0}, {"gain": 4, "strength": 0.5}]})
    r = resolve(p, CaptureFacts(gain=4.5))
    assert (r.denoise.luma_strength, r.denoise.chroma_strength) == pytest.approx((0.45, 0.55))
    assert r.sharpen.strength == pytest.approx(0.5)
    assert resolve(p, CaptureFacts(gain=1.0)).sharpen.strength == pytest.approx(1.0)
    assert resolve(p, CaptureFacts(gain=3.0)).sharpen.strength == pytest.approx(0.75)


def test_lens_shading_relative_absolute_luminance_and_nodes():
    r = [[2.0, 1.0], [1.0, 2.0]]
    rel = _profile(lsc={"tables": [{"ct": 4000, "r": r, "b": [[3.0, 3.0], [3.0, 6.0]]}],
                        "luminance": [[1.5, 1.0], [1.0, 1.5]], "luminance_strength": 0.5})
    g = np.asarray(resolve(rel).lsc.gains)
    lum = np.array([[1.25, 1.0], [1.0, 1.25]])
    assert g.shape == (4, 2, 2)
    np.testing.assert_allclose(g[0], np.array(r) * lum / 1.0)
    np.testing.assert_allclose(g[1], lum)            # Gr: no grid -> luminance only
    np.testing.assert_allclose(g[3], np.array([[3.75, 3.0], [3.0, 7.5]]) / 3.0)  # min normalised to 1
    ab = _profile(lsc={"gains": "absolute", "tables": [{"ct": 4000, "r": r, "b": [[3.0, 3.0], [3.0, 6.0]]}]})
    np.testing.assert_allclose(np.asarray(resolve(ab).lsc.gains)[3], [[3.0, 3.0], [3.0, 6.0]])
    # 3 nodes at 0, 0.5, 1 -> 3 cells with centres 1/6, 1/2, 5/6: bilinear in between.
    nodes = _profile(lsc={"gains": "absolute", "grid": {"layout": "nodes", "x": [0, 0.5, 1], "y": [0, 0.5, 1]},
                          "tables": [{"ct": 4000, "r": [[1, 2, 3]] * 3, "b": [[1, 1, 1]] * 3}]})
    np.testing.assert_allclose(np.asarray(resolve(nodes).lsc.gains)[0][1], [1 + 1 / 3, 2.0, 3 - 1 / 3])


def test_facts_from_a_capture_use_the_profile_curve_then_iso():
    p = load_profile(DEMO_PROFILE)
    point = p.wb.ct_curve[6]
    capture = SimpleNamespace(as_shot_neutral=(point.r, 1.0, point.b), iso=400.0,
                              color_matrix1=None, color_matrix2=None, has_colour_metadata=False)
    facts = facts_for_capture(p, capture)
    assert facts.ct == pytest.approx(point.ct, abs=1.0)
    assert facts.gain == pytest.approx(4.0)
    neutral = SimpleNamespace(as_shot_neutral=None, iso=None, has_colour_metadata=False)
    assert facts_for_capture(p, neutral) == CaptureFacts(ct=None, gain=None)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.1, 10.0), min_size=2, max_size=6), st.floats(-1e5, 1e5))
def test_interpolation_stays_between_neighbours(values, at):
    keys = [1000.0 * (i + 1) for i in range(len(values))]
    v = interp.by_key(keys, np.asarray(values), at)
    assert min(values) - 1e-12 <= float(v) <= max(values) + 1e-12
    if at <= keys[0]:
        assert v == values[0]
    if at >= keys[-1]:
        assert v == values[-1]


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 9), st.integers(2, 9), st.integers(2, 40), st.integers(2, 40),
       st.floats(-2, 2), st.floats(-2, 2), st.floats(0.5, 3))
def test_resampling_reproduces_constants_and_planes_inside(rows, cols, rows2, cols2, ax, ay, c):
    x, y = interp.cell_centres(cols), interp.cell_centres(rows)
    plane = c + ax * x[None, :] + ay * y[:, None]
    out = interp.resample_cells(plane, cols2, rows2)
    x2, y2 = interp.cell_centres(cols2), interp.cell_centres(rows2)
    inside = (x2 >= x[0]) & (x2 <= x[-1])
    inside_y = (y2 >= y[0]) & (y2 <= y[-1])
    expected = c + ax * x2[None, :] + ay * y2[:, None]
    np.testing.assert_allclose(out[np.ix_(inside_y, inside)], expected[np.ix_(inside_y, inside)], atol=1e-9)
    np.testing.assert_allclose(interp.resample_cells(np.full((rows, cols), c), cols2, rows2), c)


# ------------------------------------------------------------------ diff and commands

def test_diff_reports_parameters_and_summarises_tables():
    a = load_profile(FIXTURES / "profile_v1.json")
    tables = [t.model_dump() for t in a.ccm.tables]
    tables[0]["matrix"] = list(tables[0]["matrix"])
    tables[0]["matrix"][4] = 2.01
    lsc = a.lsc.model_dump(mode="json")
    lsc["tables"][1]["b"][2][3] = 1.7
    b = a.replace(ccm={"tables": tables + [{"ct": 9000, "matrix": IDENTITY}]}, lsc=lsc,
                  stages=a.stages.with_stage("tone", gamma=2.2))
    lines = diff_profiles(a, b)
    assert "stages.tone.gamma: 2.4 -> 2.2" in lines
    assert "ccm.tables[ct 2850 K].matrix: [4] 2 -> 2.01" in lines
    assert "ccm.tables[ct 9000 K]: added" in lines
    assert any(line.startswith("lsc.tables[ct 6000 K].b: max |change| 0.1 at row 2, col 3") for line in lines)
    assert diff_profiles(a, a) == []


def test_validate_and_diff_commands(tmp_path, capsys):
    assert _run("validate", FIXTURES / "profile_v1.json") == 0
    assert "schema version 1, becomes 2 when saved" in capsys.readouterr().out
    assert _run("diff", DEFAULT_PROFILE, DEFAULT_PROFILE) == 0
    assert capsys.readouterr().out == "no differences\n"
    assert _run("diff", DEFAULT_PROFILE, DEMO_PROFILE) == 1
    out = capsys.readouterr().out
    assert "[stages.ccm]\n  stages.ccm.source: 'capture' -> 'manual'" in out
    assert "ccm.tables[ct 6500 K]: added" in out
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema_version": 2, "sharpen": {"by_gain": [{"gain": 0.5, "strength": 1}]}}')
    with pytest.raises(CamtuneError) as err:
        _run("validate", bad)
    assert str(err.value) == f"{bad}: sharpen.by_gain[0].gain: 0.5 is below the minimum 1"


def test_demo_profile_is_what_the_virtual_camera_gives():
    from tuning_profiles import make_demo_profile
    assert dumps_profile(make_demo_profile.build()) == DEMO_PROFILE.read_text(encoding="utf-8")


def test_demo_profile_resolves_the_demo_capture_like_the_virtual_camera():
    from app.simulate import demo, spectra
    capture = demo.demo_capture((320, 180))
    p = load_profile(DEMO_PROFILE)
    facts = facts_for_capture(p, capture)
    assert facts.ct == pytest.approx(spectra.illuminant(demo.DEMO_ILLUMINANT).cct, abs=30)
    params = resolve(p, facts)
    truth = spectra.camera_to_srgb(spectra.illuminant(demo.DEMO_ILLUMINANT))
    np.testing.assert_allclose(np.reshape(params.ccm.matrix, (3, 3)), truth, atol=0.01)
    np.testing.assert_allclose(params.wb.gains, 1.0 / np.asarray(capture.as_shot_neutral), rtol=2e-3)
