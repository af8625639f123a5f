"""Dedicated editors: colour matrix, tone curve, per-condition tables, lens-shading heat maps."""
from __future__ import annotations

import pytest

import widgets.tuning  # noqa: F401  (applies the PySide6 6.12 / Python 3.11 workaround first)
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from app.isp.stages import ColourMatrix, IspParams, Tone
from tuning_profiles import DEMO_PROFILE, load_profile
from widgets.session import Session
from widgets.tuning import declared, dialogs, edits
from widgets.tuning.binding import THROTTLE_MS, ParamBinding
from widgets.tuning.editors.curve import CurveEditor
from widgets.tuning.editors.lsc import LensShadingView, grid_sources
from widgets.tuning.editors.matrix import MatrixEditor
from widgets.tuning.editors.tables import TablesEditor


def settle(qtbot):
    qtbot.wait(THROTTLE_MS * 2)


@pytest.fixture
def demo(qtbot):
    return Session(load_profile(DEMO_PROFILE))


# ------------------------------------------------------------------ pure edits

def test_matrix_rows_stay_summing_to_one_when_asked():
    m = (1.6, -0.4, -0.2, -0.3, 1.5, -0.2, 0.0, -0.5, 1.5)
    off = edits.matrix_set(m, 1, -0.6, keep_rows=True)
    diag = edits.matrix_set(m, 4, 1.9, keep_rows=True)
    assert sum(off[0:3]) == pytest.approx(1.0) and off[1] == -0.6 and off[0] == pytest.approx(1.8)
    assert sum(diag[3:6]) == pytest.approx(1.0) and diag[4] == 1.9
    assert diag[3] == pytest.approx(-0.5) and diag[5] == pytest.approx(-0.4)   # spread equally
    assert edits.matrix_set(m, 1, -0.6, keep_rows=False)[0] == 1.6
    assert edits.row_sums(edits.normalise_rows((2.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1, 1, 2))) == pytest.approx((1, 1, 1))


def test_curve_points_stay_ordered_and_in_range():
    spec = Tone.spec("curve")
    curve = ((0.0, 0.0), (0.5, 0.5), (1.0, 1.0))
    moved = edits.curve_move(curve, 1, 1.4, -3.0, spec)
    assert moved[1][0] < 1.0 and moved[1][1] == 0.0
    assert edits.curve_move(curve, 0, 0.7, 0.1, spec)[0][0] < 0.5
    added, index = edits.curve_insert(curve, 0.25, 0.3, spec)
    assert index == 1 and added[1] == (0.25, 0.3)
    assert edits.curve_insert(curve, 0.5, 0.3, spec) == (curve, -1)
    assert edits.curve_remove(((0.0, 0.0), (1.0, 1.0)), 0) == ((0.0, 0.0), (1.0, 1.0))


def test_declared_display_rules():
    assert declared.decimals(IspParams.stage_class("dpc").spec("threshold")) == 3
    assert declared.stage_label("lsc") == "Lens shading"
    assert declared.suffix(IspParams.stage_class("sharpen").spec("sigma")) == " px"
    assert declared.suffix(IspParams.stage_class("sharpen").spec("threshold")) == " FS"  # fraction of full scale


# ------------------------------------------------------------------ matrix editor

def test_the_matrix_editor_keeps_rows_summing_to_one(qtbot):
    session = Session()
    session.set_stage("ccm", source="manual")
    editor = MatrixEditor(ParamBinding(session, "ccm", ColourMatrix.spec("matrix")))
    qtbot.addWidget(editor)
    editor.keep_rows.setChecked(True)
    editor.set_element(1, -0.3)
    settle(qtbot)
    editor.set_element(8, 1.4)
    settle(qtbot)
    m = session.profile.stages.ccm.matrix
    assert m[1] == -0.3 and m[8] == 1.4
    assert editor.rows_sum_to_one()
    assert editor.cells[0].value() == pytest.approx(1.3)           # the widget shows the compensation
    assert editor.sums[0].text() == "Σ 1.0000"
    editor.keep_rows.setChecked(False)
    editor.set_element(3, 0.25)
    settle(qtbot)
    assert not editor.rows_sum_to_one()
    session.undo_stack.undo()
    assert editor.rows_sum_to_one() and editor.cells[3].value() == 0.0


# ------------------------------------------------------------------ tone curve editor

@pytest.fixture
def curve(qtbot):
    session = Session()
    editor = CurveEditor(ParamBinding(session, "tone", Tone.spec("curve")))
    qtbot.addWidget(editor)
    editor.resize(300, 300)
    return session, editor


def test_tone_editor_points_edit_the_curve(qtbot, curve):
    session, editor = curve
    assert editor.add_on_curve(0.5) == 1
    assert session.profile.stages.tone.curve == ((0.0, 0.0), (0.5, 0.5), (1.0, 1.0))
    editor.move_point(1, 0.4, 0.6)
    assert session.profile.stages.tone.curve[1] == (0.4, 0.6)
    assert session.undo_stack.count() == 2
    editor.move_point(1, 2.0, 2.0)                  # clamped: below the last point, within range
    x, y = session.profile.stages.tone.curve[1]
    assert x < 1.0 and y == 1.0
    assert editor.remove_point(1)
    assert len(session.profile.stages.tone.curve) == 2
    assert not editor.remove_point(0)               # a curve keeps two points
    session.undo_stack.undo()
    assert len(editor.points) == 3                  # the editor follows undo


def test_tone_editor_draws_the_stage_lut(qtbot, curve):
    session, editor = curve
    _, ys = editor.lut_line.getData()
    from app.isp.tone import response
    assert ys == pytest.approx(response(session.profile.stages.tone, editor.xs))
    session.set_stage("tone", transfer="linear")
    _, ys = editor.lut_line.getData()
    assert ys == pytest.approx(editor.xs)


def test_a_mouse_drag_on_a_point_moves_it_in_one_step(qtbot, curve):
    session, editor = curve
    editor.add_on_curve(0.5)
    editor.show()
    qtbot.waitExposed(editor)
    viewport = editor.plot.viewport()
    start = editor.point_position(1)
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for dy in range(5, 45, 5):
        QTest.mouseMove(viewport, start + QPoint(0, -dy))
        qtbot.wait(5)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start + QPoint(0, -40))
    settle(qtbot)
    x, y = session.profile.stages.tone.curve[1]
    assert x == pytest.approx(0.5, abs=0.05) and y > 0.6          # synthetic moves land a few px off
    assert session.undo_stack.count() == 2           # add + one drag


# ------------------------------------------------------------------ tables

def test_table_edits_apply_and_invalid_values_are_shown_not_applied(qtbot, demo):
    editor = TablesEditor(demo)
    qtbot.addWidget(editor)
    table = editor.tables["ccm.tables"]
    model = table.model
    assert model.rowCount() == len(demo.profile.ccm.tables)
    original = demo.profile.ccm.tables[0].matrix[0]
    assert model.setData(model.index(0, 1), "1.9")
    assert demo.profile.ccm.tables[0].matrix[0] == 1.9
    before = demo.profile
    assert not model.setData(model.index(0, 1), "99")
    assert demo.profile is before
    assert "ccm.tables[0].matrix[0]" in model.error and "maximum" in model.error
    assert not table.error.isHidden()
    assert model.data(model.index(0, 1), Qt.ItemDataRole.BackgroundRole) is not None
    assert not model.setData(model.index(1, 0), "100000")          # CT out of range
    assert not model.setData(model.index(1, 0), "2000")            # CT out of order
    assert "increasing" in model.error
    assert not model.setData(model.index(1, 0), "warm")
    assert "not a number" in model.error
    assert model.setData(model.index(1, 2), "-0.7")
    assert table.error.isHidden()
    demo.undo_stack.undo()
    demo.undo_stack.undo()
    assert demo.profile.ccm.tables[0].matrix[0] == original
    assert model.data(model.index(0, 1)) == f"{original:.5f}"          # the table follows undo
    assert demo.undo_stack.count() == 2


def test_table_rows_are_added_at_a_chosen_key_and_removed(qtbot, monkeypatch):
    session = Session()
    editor = TablesEditor(session)
    qtbot.addWidget(editor)
    table = editor.tables["sharpen.by_gain"]
    monkeypatch.setattr(dialogs, "ask_number", lambda *a, **k: 4.0)
    table.ask_add()
    assert [e.gain for e in session.profile.sharpen.by_gain] == [4.0]
    assert session.profile.sharpen.by_gain[0].strength == session.profile.stages.sharpen.strength
    monkeypatch.setattr(dialogs, "ask_number", lambda *a, **k: 1.0)
    table.ask_add()
    assert [e.gain for e in session.profile.sharpen.by_gain] == [1.0, 4.0]
    table.view.selectRow(1)
    table.remove_selected()
    assert [e.gain for e in session.profile.sharpen.by_gain] == [1.0]
    assert "1 entry" in table.count.text()


# ------------------------------------------------------------------ lens shading

def test_lens_shading_view_shows_each_channel_of_each_source(qtbot, demo):
    view = LensShadingView(demo)
    qtbot.addWidget(view)
    titles = [s.title for s in grid_sources(demo.profile)]
    assert titles == [f"Table {t.ct:g} K" for t in demo.profile.lsc.tables]
    assert [b[3] for b in view.boxes] == ["R", "Gr", "Gb", "B"]
    grids = tuple(tuple(tuple(1.0 + 0.1 * c + r for c in range(4)) for r in range(3)) for _ in range(4))
    demo.set_stage("lsc", gains=grids)
    assert view.source.count() == len(titles) + 1
    assert view.select("Stage gains")
    assert view.boxes[0][4].shape == (3, 4)
    empty = LensShadingView(Session())
    qtbot.addWidget(empty)
    assert not empty.boxes and "identity" in empty.info.text()
