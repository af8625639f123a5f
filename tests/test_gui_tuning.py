"""The tuning panel: generated from the declarations, edits through the session, follows undo."""
from __future__ import annotations

import pytest

import widgets.tuning  # noqa: F401  (applies the PySide6 6.12 / Python 3.11 workaround first)
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.isp.stages import IspParams, Sharpen
from tuning_profiles import DEMO_PROFILE, load_profile
from widgets.session import Session
from widgets.tuning import declared
from widgets.tuning.binding import THROTTLE_MS
from widgets.tuning.controls import NumberEditor
from widgets.tuning.panel import TuningPanel


@pytest.fixture
def session(qtbot):
    return Session()


@pytest.fixture
def panel(qtbot, session):
    p = TuningPanel(session)
    qtbot.addWidget(p)
    return p


def settle(qtbot):
    """Let throttled edits reach the session."""
    qtbot.wait(THROTTLE_MS * 2)


# ------------------------------------------------------------------ built from declarations

def test_every_declared_parameter_has_an_editor_with_its_declared_range(panel):
    assert list(panel.groups) == list(IspParams.stage_names())
    for stage in IspParams.stage_names():
        specs = [s for s in declared.stage_specs(stage) if s.name != declared.ENABLED]
        assert list(panel.group(stage).editors) == [s.name for s in specs]
        for spec in specs:
            editor = panel.editor(stage, spec.name)
            assert editor.toolTip().startswith(spec.description)
            if spec.kind in ("int", "float"):
                assert (editor.spin.minimum(), editor.spin.maximum()) == pytest.approx((spec.minimum, spec.maximum))
                assert editor.spin.value() == pytest.approx(spec.default)


def test_a_changed_declaration_shows_up_with_no_widget_change(qtbot, monkeypatch, session):
    """Range, step, default and label live only in the declaration: patch it, the panel follows."""
    extra = Sharpen.model_fields["strength"].json_schema_extra
    monkeypatch.setitem(extra, "maximum", 9.0)
    monkeypatch.setitem(extra, "step", 0.25)
    monkeypatch.setitem(extra, "label", "Amount")
    monkeypatch.setattr(Sharpen.model_fields["strength"], "default", 2.0)
    panel = TuningPanel(session)
    qtbot.addWidget(panel)
    editor = panel.editor("sharpen", "strength")
    assert editor.spin.maximum() == 9.0 and editor.spin.singleStep() == 0.25
    assert editor.slider.maximum() == 36            # (9 - 0) / 0.25 positions
    assert editor.label.text() == "Amount"
    editor.spin.setValue(8.5)                          # beyond the shipped maximum of 4
    settle(qtbot)
    assert session.profile.stages.sharpen.strength == 8.5
    editor.reset()
    assert session.profile.stages.sharpen.strength == 2.0   # the patched default


def test_table_sections_are_found_from_the_profile_models():
    titles = {(t.section, t.field): [c.header for c in t.columns] for t in declared.table_sections()}
    assert set(titles) == {("ccm", "tables"), ("wb", "ct_curve"), ("denoise", "by_gain"), ("sharpen", "by_gain")}
    assert titles[("ccm", "tables")][0] == "CT (K)" and len(titles[("ccm", "tables")]) == 10


# ------------------------------------------------------------------ editing and undo

def test_a_slider_drag_is_one_undo_step_and_the_session_sees_the_newest_value(qtbot, session, panel):
    editor = panel.editor("sharpen", "strength")
    slider = editor.slider
    slider.setSliderDown(True)                       # press
    for pos in range(slider.value() + 1, slider.value() + 15):
        slider.setValue(pos)
    settle(qtbot)
    mid = session.profile.stages.sharpen.strength
    assert mid == pytest.approx(editor._value_at(slider.value()))   # throttled, but newest landed
    for pos in range(slider.value() + 1, slider.value() + 6):
        slider.setValue(pos)
    slider.setSliderDown(False)                      # release flushes
    final = editor._value_at(slider.value())
    assert session.profile.stages.sharpen.strength == pytest.approx(final)
    assert editor.spin.value() == pytest.approx(final)
    assert session.undo_stack.count() == 1
    session.undo_stack.undo()
    default = Sharpen.spec("strength").default
    assert session.profile.stages.sharpen.strength == default
    assert editor.spin.value() == pytest.approx(default)
    assert slider.value() == editor._position(default)
    assert not editor.label.font().bold()


def test_a_real_mouse_drag_on_a_slider_is_one_step(qtbot, session, panel):
    panel.resize(380, 800)
    panel.show()
    panel.group("colour").expand(animate=False)
    slider = panel.editor("colour", "hue").slider
    qtbot.waitExposed(panel)
    handle = QPoint(slider.width() // 2, slider.height() // 2)
    QTest.mousePress(slider, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, handle)
    for dx in range(4, 60, 4):
        QTest.mouseMove(slider, handle + QPoint(dx, 0))
        qtbot.wait(5)
    QTest.mouseRelease(slider, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, handle + QPoint(60, 0))
    settle(qtbot)
    assert session.profile.stages.colour.hue > 0
    assert session.undo_stack.count() == 1


def test_spin_steps_in_a_burst_merge_but_separate_params_do_not(qtbot, session, panel):
    spin = panel.editor("denoise", "luma_radius").spin
    for _ in range(3):
        spin.stepUp()
    settle(qtbot)
    assert session.profile.stages.denoise.luma_radius == 5
    panel.editor("denoise", "chroma_radius").spin.stepDown()
    settle(qtbot)
    assert session.undo_stack.count() == 2


def test_widgets_follow_undo_and_outside_changes_without_echoing_edits(qtbot, session, panel):
    session.set_stage("wb", source="manual", gains=(1.5, 1.0, 2.5))
    session.set_stage("demosaic", method="rcd")
    settle(qtbot)
    assert session.undo_stack.count() == 2             # refreshing the widgets pushed nothing
    wb = panel.editor("wb", "gains")
    assert [r.spin.value() for r in wb.rows] == [1.5, 1.0, 2.5]
    assert panel.editor("wb", "source").combo.currentData() == "manual"
    assert panel.editor("demosaic", "method").combo.currentData() == "rcd"
    session.undo_stack.undo()
    session.undo_stack.undo()
    assert [r.spin.value() for r in wb.rows] == list(IspParams().wb.gains)
    assert panel.editor("demosaic", "method").combo.currentData() == IspParams().demosaic.method
    assert session.undo_stack.count() == 2 and session.undo_stack.index() == 0


def test_vector_element_choice_and_switch_edits(qtbot, session, panel):
    panel.editor("black_level", "black").rows[2].spin.setValue(64)
    settle(qtbot)
    assert session.profile.stages.black_level.black == (0.0, 0.0, 64.0, 0.0)
    combo = panel.editor("tone", "transfer").combo
    combo.setCurrentIndex(combo.findData("gamma"))
    combo.activated.emit(combo.currentIndex())
    assert session.profile.stages.tone.transfer == "gamma"
    panel.editor("exposure", "clip").switch.click()
    assert session.profile.stages.exposure.clip is False
    assert session.undo_stack.count() == 3


def test_stage_switch_and_stage_and_parameter_reset(qtbot, session, panel):
    group = panel.group("sharpen")
    group.switch.click()
    assert session.profile.stages.sharpen.enabled is False
    assert not panel.editor("sharpen", "sigma").isEnabled()
    session.undo_stack.undo()
    assert group.switch.isChecked() and panel.editor("sharpen", "sigma").isEnabled()

    session.set_stage("sharpen", strength=2.0, sigma=2.0, enabled=False)
    assert group.is_changed()
    group.reset_button.click()
    stage = session.profile.stages.sharpen
    assert (stage.strength, stage.sigma, stage.enabled) == (Sharpen().strength, Sharpen().sigma, False)
    assert not group.is_changed()

    session.set_stage("sharpen", enabled=True, limit=0.5)
    editor = panel.editor("sharpen", "limit")
    assert editor.label.font().bold()
    [(text, reset)] = editor.reset_actions()
    assert "0.100" in text
    reset()
    assert session.profile.stages.sharpen.limit == Sharpen().limit
    session.set_stage("sharpen", limit=0.5)
    QTest.mouseDClick(editor.label, Qt.MouseButton.LeftButton)
    assert session.profile.stages.sharpen.limit == Sharpen().limit


def test_an_invalid_edit_is_refused_and_the_widget_shows_the_session_value(qtbot, session, panel):
    editor = panel.editor("tone", "gamma")
    with qtbot.waitSignal(editor.binding.failed) as failed:
        editor.binding.commit(99.0)
    assert "gamma" in failed.args[0] or "maximum" in failed.args[0]
    assert session.profile.stages.tone.gamma == IspParams().tone.gamma
    assert editor.spin.value() == pytest.approx(IspParams().tone.gamma)


def test_the_wheel_scrolls_the_panel_instead_of_changing_an_unfocused_value(qtbot, session, panel):
    slider = panel.editor("colour", "saturation").slider
    before = slider.value()
    event = QWheelEvent(QPointF(5, 5), QPointF(5, 5), QPoint(0, 0), QPoint(0, -120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(slider, event)
    assert slider.value() == before and session.undo_stack.count() == 0


def test_filter_shows_matching_parameters_only(qtbot, panel):
    panel.show()
    panel.apply_filter("sigma")
    visible = [s for s, g in panel.groups.items() if g.isVisibleTo(panel)]
    assert visible == ["sharpen"]
    assert panel.editor("sharpen", "sigma").isVisibleTo(panel)
    assert not panel.editor("sharpen", "strength").isVisibleTo(panel)
    panel.apply_filter("")
    assert all(g.isVisibleTo(panel) for g in panel.groups.values())
    assert not panel.group("sharpen").isExpanded()          # the view is as it was


def test_parameters_replaced_by_a_table_at_the_capture_are_marked(qtbot, monkeypatch, session, panel):
    resolved = session.profile.stages.with_stage("sharpen", strength=3.0)
    monkeypatch.setattr(session, "params", lambda profile=None: resolved)
    panel.show_overrides()
    label = panel.editor("sharpen", "strength").label
    assert label.font().italic() and "3.00" in label.toolTip()
    assert not panel.editor("sharpen", "sigma").label.font().italic()


def test_the_demo_profile_fills_every_editor(qtbot):
    session = Session(load_profile(DEMO_PROFILE))
    panel = TuningPanel(session)
    qtbot.addWidget(panel)
    editor = panel.editor("black_level", "black")
    assert [r.spin.value() for r in editor.rows] == list(session.profile.stages.black_level.black)
    assert isinstance(editor.rows[0], NumberEditor)
    texts = [b.text() for b, _ in panel.group("ccm").table_buttons]
    assert texts == [f"Colour matrix · tables ({len(session.profile.ccm.tables)})…"]
