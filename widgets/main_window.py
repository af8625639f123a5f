"""The workbench window: viewer in the middle, rearrangeable docks, menus, status bar.

Docks: Tuning (the tuning helper's panel), Captures, Scopes, Inspector; their layout, the
window geometry and the recent files live in QSettings. Files open from the File menu, the
recent list, drag and drop or the command line; loading runs on a thread, a failure is a
message in the window (the previous capture stays open), and a headerless dump whose geometry
is unknown asks for it. The status bar shows the capture's facts, the pixel under the cursor,
the last render time, and a busy indicator when loading or rendering takes over half a second
(the first render of a session compiles kernels).
"""
from __future__ import annotations

import gc
import sys
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QApplication, QDockWidget, QFileDialog, QLabel, QMainWindow, QMessageBox,
                               QProgressBar, QWidget)
from superqt.utils import qthrottled

from app.analysis import capture_summary
from app.loaders import HEADERLESS_SUFFIXES, LIBRAW_SUFFIXES, PGM_SUFFIXES, SUPPORTED_SUFFIXES, load_capture
from widgets.capture_browser import CaptureBrowser
from widgets.capture_loader import CaptureLoader
from widgets.histogram import Scopes
from widgets.inspector import Inspector, probe_text
from widgets.raw_geometry_dialog import RawGeometryDialog, needs_geometry
from widgets.render_worker import RenderWorker
from widgets.session import Session
from widgets.tuning.actions import ProfileActions
from widgets.tuning.panel import TuningPanel
from widgets.viewer import Viewer

MAX_RECENT = 12
STATUS_INTERVAL_MS = 250  # render times in the status bar: readable, not a 60 Hz flicker
BUSY_AFTER_MS = 500
LAYOUT_VERSION = 1  # bump when the dock set changes: an old saved layout is then ignored
DEMO = "<demo>"


def file_filters() -> str:
    """Open-dialog filters for every supported format (both cases: file systems are case-sensitive)."""
    def patterns(suffixes):
        return " ".join(f"*{s} *{s.upper()}" for s in suffixes)
    return ";;".join([
        f"All supported captures ({patterns(SUPPORTED_SUFFIXES)})",
        f"DNG ({patterns(('.dng', '.gpr'))})",
        f"Camera RAW ({patterns(tuple(s for s in LIBRAW_SUFFIXES if s not in ('.dng', '.gpr')))})",
        f"Headerless sensor dumps ({patterns(HEADERLESS_SUFFIXES)})",
        f"PGM ({patterns(PGM_SUFFIXES)})",
        "All files (*)",
    ])


class MainWindow(QMainWindow):
    captureOpened = Signal(object)
    openFailed = Signal(str)

    def __init__(self, session: Session | None = None, *, interactive: bool = True):
        super().__init__()
        self.setObjectName("camtuneMainWindow")
        self.interactive = interactive  # False: errors go to stderr (screenshots, benchmarks)
        self.session = session or Session(parent=self)
        self.worker = RenderWorker(self)
        self.loader = CaptureLoader(self)
        self.viewer = Viewer(self.session, self.worker, self)
        self.setCentralWidget(self.viewer)
        self.setAcceptDrops(True)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)

        self.tuning = TuningPanel(self.session, self)
        self.profile_actions = ProfileActions(self.session, self)
        if not interactive:  # screenshots and benchmarks close without asking to save
            self.removeEventFilter(self.profile_actions)
        self.browser = CaptureBrowser(self.session, self.worker, self)
        self.scopes = Scopes(self)
        self.inspector = Inspector(self)
        self.docks = {
            "tuning": self._dock("Tuning", "tuningDock", self.tuning, Qt.DockWidgetArea.RightDockWidgetArea),
            "captures": self._dock("Captures", "capturesDock", self.browser, Qt.DockWidgetArea.LeftDockWidgetArea),
            "scopes": self._dock("Scopes", "scopesDock", self.scopes, Qt.DockWidgetArea.LeftDockWidgetArea),
            "inspector": self._dock("Inspector", "inspectorDock", self.inspector, Qt.DockWidgetArea.LeftDockWidgetArea),
        }

        self._build_status_bar()
        self._build_menus()
        self._connect()
        self._busy_ms = 0
        self._frames = 0
        self._capture_name = ""
        self._busy_poll = QTimer(self, interval=100)
        self._busy_poll.timeout.connect(self._poll_busy)
        self._busy_poll.start()
        self._restore_settings()
        self._update_title()

    # ----- construction -----------------------------------------------------------------------
    def _dock(self, title: str, name: str, widget: QWidget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable |
                         QDockWidget.DockWidgetFeature.DockWidgetClosable |
                         QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        return dock

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.facts_label = QLabel("")
        self.facts_label.setObjectName("factsLabel")
        self.cursor_label = QLabel("")
        self.cursor_label.setObjectName("cursorLabel")
        self.render_label = QLabel("")
        self.render_label.setObjectName("renderLabel")
        self.render_label.setToolTip("Last render of the current image: pipeline time "
                                     "(stages that ran) / from the change to the result")
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setMaximumWidth(140)
        self.progress.setMaximumHeight(14)
        self.progress.setTextVisible(False)
        self.progress.setVisible(False)
        self.busy_label = QLabel("")
        self.busy_label.setVisible(False)
        bar.addWidget(self.facts_label)
        bar.addWidget(self.cursor_label, 1)
        bar.addPermanentWidget(self.busy_label)
        bar.addPermanentWidget(self.progress)
        bar.addPermanentWidget(self.render_label)

    def _build_menus(self) -> None:
        menus = self.menuBar()
        file_menu = menus.addMenu("&File")
        self.act_open = QAction("&Open capture\u2026", self, shortcut=QKeySequence.StandardKey.Open,
                                triggered=self.open_dialog)
        file_menu.addAction(self.act_open)
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        file_menu.addAction(QAction("Open the &demo capture", self, triggered=self.open_demo))
        file_menu.addSeparator()
        file_menu.addAction(QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit, triggered=self.close))

        edit_menu = menus.addMenu("&Edit")
        edit_menu.addAction(self.profile_actions.undo_action)
        edit_menu.addAction(self.profile_actions.redo_action)
        menus.addMenu(self.profile_actions.menu())

        view_menu = menus.addMenu("&View")
        groups = self.viewer.menu_actions()
        for name in ("zoom", "mode", "tool"):
            for act in groups[name]:
                view_menu.addAction(act)
            view_menu.addSeparator()
        taps = view_menu.addMenu("Stage &tap")
        for act in groups["tap"]:
            taps.addAction(act)
        view_menu.addSeparator()
        docks = view_menu.addMenu("&Docks")
        for dock in self.docks.values():
            docks.addAction(dock.toggleViewAction())
        docks.addSeparator()
        docks.addAction(QAction("Reset layout", self, triggered=self.reset_layout))

        help_menu = menus.addMenu("&Help")
        help_menu.addAction(QAction("&Keyboard shortcuts", self, shortcut=QKeySequence.StandardKey.HelpContents,
                                    triggered=self.show_shortcuts))

    def _connect(self) -> None:
        self.loader.loaded.connect(self._loaded)
        self.loader.failed.connect(self._load_failed)
        self.viewer.scopesReady.connect(self.scopes.show_result)
        self.viewer.roiStats.connect(self.inspector.show_roi)
        self.viewer.roiCleared.connect(self.inspector.clear_roi)
        self.viewer.probed.connect(self._probed)
        self.viewer.cursorLeft.connect(self._cursor_left)
        self.viewer.renderTimed.connect(qthrottled(self._render_timed, timeout=STATUS_INTERVAL_MS, parent=self))
        self.viewer.message.connect(lambda text: self.statusBar().showMessage(text, 6000))
        self.profile_actions.status.connect(lambda text: self.statusBar().showMessage(text, 6000))
        self.viewer.frameShown.connect(self._frame_shown)
        self.scopes.modeChanged.connect(self.viewer.set_scopes)
        self.viewer.set_scopes(self.scopes.mode)
        self.worker.failed.connect(self._worker_failed)
        self.session.profileChanged.connect(self._update_title)
        self.session.modifiedChanged.connect(lambda _m: self._update_title())
        self.session.pathChanged.connect(self._update_title)
        self.session.captureChanged.connect(self._capture_changed)

    def shortcut_rows(self) -> list[tuple[str, str]]:
        """(action, keys) of every menu action that has a shortcut, in menu order."""
        rows, seen = [], set()

        def walk(menu):
            for act in menu.actions():
                if act.menu():
                    walk(act.menu())
                elif act.shortcuts() and id(act) not in seen:
                    seen.add(id(act))
                    keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in act.shortcuts())
                    rows.append((act.text().replace("&", "").rstrip("\u2026"), keys))
        for act in self.menuBar().actions():
            if act.menu():
                walk(act.menu())
        return rows

    def show_shortcuts(self) -> None:
        rows = "".join(f"<tr><td>{name}</td><td style='padding-left:18px'><b>{keys}</b></td></tr>"
                       for name, keys in self.shortcut_rows())
        box = QMessageBox(QMessageBox.Icon.NoIcon, "Keyboard shortcuts", f"<table>{rows}</table>",
                          QMessageBox.StandardButton.Close, self)
        box.exec()

    # ----- opening captures -------------------------------------------------------------------
    def open_dialog(self) -> None:
        settings = QSettings()
        start = settings.value("lastOpenDir", str(Path.home()))
        paths, _ = QFileDialog.getOpenFileNames(self, "Open captures", start, file_filters())
        if paths:
            settings.setValue("lastOpenDir", str(Path(paths[0]).parent))
            self.open_paths(paths)

    def open_paths(self, paths, raw_format: str | None = None) -> None:
        for path in paths:
            path = str(path)
            self.loader.load((path, raw_format), lambda p=path: load_capture(p, raw_format=raw_format))

    def open_demo(self) -> None:
        def make():
            from app.simulate import demo_capture
            return demo_capture()
        self.loader.load((DEMO, None), make)

    def _loaded(self, request, capture) -> None:
        path, raw_format = request
        self.session.add_capture(capture)
        if path != DEMO:
            self._remember(path, raw_format)
        self.captureOpened.emit(capture)

    def _load_failed(self, request, err) -> None:
        path, raw_format = request
        message = str(err)
        details = getattr(err, "details", "")
        if not self.interactive:
            print(f"camtune: error: {message}", file=sys.stderr, flush=True)
            self.openFailed.emit(message)
            return
        if raw_format is None and needs_geometry(err) and Path(path).is_file():
            dialog = RawGeometryDialog(path, getattr(err, "reason", message), self)
            if dialog.exec():
                self.open_paths([path], dialog.spec_string())
                return
            self.openFailed.emit(message)
            return
        self.openFailed.emit(message)
        box = QMessageBox(QMessageBox.Icon.Warning, "Cannot open capture", message,
                          QMessageBox.StandardButton.Ok, self)
        if details:
            box.setDetailedText(details)
        box.exec()

    def _remember(self, path: str, raw_format: str | None) -> None:
        settings = QSettings()
        entry = f"{Path(path).resolve()}\t{raw_format or ''}"
        recent = [e for e in settings.value("recentFiles", [], type=list) if e.split("\t")[0] != entry.split("\t")[0]]
        settings.setValue("recentFiles", [entry] + recent[:MAX_RECENT - 1])

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        entries = QSettings().value("recentFiles", [], type=list)
        for i, entry in enumerate(entries):
            path, _, spec = entry.partition("\t")
            text = f"&{i + 1 if i < 9 else 0}  {Path(path).name}" + (f"  ({spec})" if spec else "")
            act = self.recent_menu.addAction(text)
            act.setToolTip(path)
            act.triggered.connect(lambda _=False, p=path, s=spec: self.open_paths([p], s or None))
        if not entries:
            self.recent_menu.addAction("(none)").setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear the list", lambda: QSettings().setValue("recentFiles", []))

    def dragEnterEvent(self, event):  # noqa: N802 (Qt API)
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event):  # noqa: N802 (Qt API)
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.open_paths(paths)

    # ----- status --------------------------------------------------------------------------------
    def _capture_changed(self) -> None:
        capture = self.session.capture
        if capture is None:
            self.facts_label.setText("")
            self._capture_name = ""
            return
        s = capture_summary(capture)
        self._capture_name = s["name"]
        parts = [s["name"], s["camera"], s["size"], s["sensor"], s["iso"], s["exposure"], s["wb"]]
        self.facts_label.setText("  " + " \u00b7 ".join(p for p in parts if p) + "  ")
        self._update_title()

    def _probed(self, probe) -> None:
        self.cursor_label.setText(probe_text(probe))
        self.inspector.show_probe(probe)

    def _cursor_left(self) -> None:
        self.cursor_label.setText("")

    def _render_timed(self, result) -> None:
        ran = ", ".join(f"{k} {v:.1f}" for k, v in result.nodes.items()) or "all cached"
        self.render_label.setText(f" render {result.render_ms:.0f} ms \u00b7 latency {result.latency_ms:.0f} ms ")
        self.render_label.setToolTip(f"Pipeline stages that ran (ms): {ran}\n"
                                     "latency: from the change to the image ready for the screen")

    def _frame_shown(self, _shown) -> None:
        self._frames += 1
        if self._frames == 1:
            # Start-up made a million long-lived objects (numba, pydantic, Qt wrappers): keep them
            # out of the cyclic collector, whose full passes otherwise stall the GUI ~0.1 s.
            gc.freeze()

    def refresh_busy(self) -> None:
        """Hide the busy indicator now if nothing is pending (before a screenshot)."""
        self._busy_ms = 0 if not (self.worker.busy or self.loader.busy) else self._busy_ms
        self._poll_busy(step=0)

    def _poll_busy(self, step: int = 100) -> None:
        busy = self.worker.busy or self.loader.busy
        self._busy_ms = self._busy_ms + step if busy else 0
        show = self._busy_ms >= BUSY_AFTER_MS
        if show:
            if self.loader.busy:
                text = "Loading capture\u2026"
            elif self._frames == 0:
                text = "First render: compiling kernels\u2026"
            else:
                text = "Rendering\u2026"
            self.busy_label.setText(text)
        if show != self.progress.isVisible():
            self.progress.setVisible(show)
            self.busy_label.setVisible(show)

    def _worker_failed(self, message: str) -> None:
        first = message.splitlines()[0]
        self.statusBar().showMessage(f"Render error: {first}", 10000)
        print(f"camtune: {message}", file=sys.stderr, flush=True)

    def _update_title(self) -> None:
        base = f"{self._capture_name} \u2014 camtune" if self._capture_name else "camtune"
        self.setWindowTitle(self.profile_actions.window_title(base))

    # ----- settings and closing -------------------------------------------------------------------
    def _restore_settings(self) -> None:
        settings = QSettings()
        geometry = settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1600, 1000)
        state = settings.value("window/state")
        if state is not None and settings.value("window/layoutVersion", 0, type=int) == LAYOUT_VERSION:
            self.restoreState(state, LAYOUT_VERSION)
        else:
            QTimer.singleShot(0, self._default_sizes)  # dock sizes apply once the window is laid out

    def _default_sizes(self) -> None:
        d = self.docks
        self.resizeDocks([d["captures"], d["scopes"], d["inspector"]], [150, 260, 330], Qt.Orientation.Vertical)
        self.resizeDocks([d["captures"], d["tuning"]], [320, 380], Qt.Orientation.Horizontal)

    def reset_layout(self) -> None:
        for name, area in (("captures", Qt.DockWidgetArea.LeftDockWidgetArea),
                           ("scopes", Qt.DockWidgetArea.LeftDockWidgetArea),
                           ("inspector", Qt.DockWidgetArea.LeftDockWidgetArea),
                           ("tuning", Qt.DockWidgetArea.RightDockWidgetArea)):
            dock = self.docks[name]
            dock.setFloating(False)
            self.addDockWidget(area, dock)
            dock.show()
        self._default_sizes()

    def closeEvent(self, event):  # noqa: N802 (Qt API)
        settings = QSettings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState(LAYOUT_VERSION))
        settings.setValue("window/layoutVersion", LAYOUT_VERSION)
        self._busy_poll.stop()
        self.worker.stop()
        super().closeEvent(event)


def application() -> QApplication:
    """The QApplication (created once), named so QSettings has a home."""
    app = QApplication.instance() or QApplication([])
    app.setOrganizationName("camtune")
    app.setApplicationName("camtune")
    return app
