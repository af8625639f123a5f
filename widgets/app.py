"""Starting the workbench: `python main.py [FILE...] [--raw-format SPEC] [--screenshot OUT.png]`.

`run_gui` makes the QApplication with the dark neutral theme, opens the files (or the demo
capture) and shows the window. With `screenshot`, it waits until the first image is rendered,
painted and nothing else is pending, saves a PNG of the whole window and exits 0 (smoke tests,
docs); a capture that cannot be opened is then reported on stderr and the exit status is 2.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

STYLE = Path(__file__).resolve().parents[1] / "resources" / "styles" / "dark.qss"
SCREENSHOT_TIMEOUT_MS = 180_000  # a cold numba cache compiles every kernel first
SCREENSHOT_SIZE = (1600, 1000)


def apply_theme(app) -> None:
    """Fusion with a neutral dark palette, then the style sheet."""
    from PySide6.QtGui import QColor, QPalette
    app.setStyle("Fusion")
    palette = QPalette()
    roles = {QPalette.ColorRole.Window: "#2e2e2e", QPalette.ColorRole.WindowText: "#dcdcdc",
             QPalette.ColorRole.Base: "#1f1f1f", QPalette.ColorRole.AlternateBase: "#282828",
             QPalette.ColorRole.Text: "#dcdcdc", QPalette.ColorRole.Button: "#3a3a3a",
             QPalette.ColorRole.ButtonText: "#dcdcdc", QPalette.ColorRole.Highlight: "#5a5a5a",
             QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.ToolTipBase: "#1e1e1e",
             QPalette.ColorRole.ToolTipText: "#e6e6e6", QPalette.ColorRole.PlaceholderText: "#8a8a8a",
             QPalette.ColorRole.Link: "#c8c8c8"}
    for role, colour in roles.items():
        palette.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#777777"))
    app.setPalette(palette)
    if STYLE.exists():
        icons = (STYLE.parent / "icons").as_posix()
        app.setStyleSheet(STYLE.read_text(encoding="utf-8").replace("@ICONS@", icons))


def use_settings_dir() -> None:
    """CAMTUNE_SETTINGS_DIR (tests, benchmarks): keep QSettings out of the user's own."""
    folder = os.environ.get("CAMTUNE_SETTINGS_DIR")
    if folder:
        from PySide6.QtCore import QSettings
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, folder)


def make_window(files: list[str], raw_format: str | None = None, *, interactive: bool = True):
    """Application, theme and window, with the files (or the demo) being opened."""
    from widgets.main_window import MainWindow, application
    use_settings_dir()
    app = application()
    apply_theme(app)
    window = MainWindow(interactive=interactive)
    if files:
        window.open_paths(files, raw_format)
    else:
        window.open_demo()
    return app, window


def save_when_ready(window, target: str, on_done) -> None:
    """Grab the window once a frame is painted and nothing is loading or rendering; then on_done(status)."""
    from PySide6.QtCore import QTimer
    state = {"frames": 0, "failed": 0, "opened": 0}
    wanted = max(1, getattr(window, "_screenshot_files", 1))

    def check():
        if state["failed"] >= wanted:
            on_done(2)
        elif state["frames"] and not window.worker.busy and not window.loader.busy:
            window.refresh_busy()
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            ok = window.grab().save(str(target))
            if not ok:
                print(f"camtune: error: cannot write {target}", file=sys.stderr)
            on_done(0 if ok else 1)
        else:
            QTimer.singleShot(50, check)

    def shown(_results):
        state["frames"] += 1

    def failed(_message):
        state["failed"] += 1

    window.viewer.frameShown.connect(shown)
    window.openFailed.connect(failed)
    QTimer.singleShot(50, check)

    def timeout():
        print("camtune: error: no image rendered in time for the screenshot", file=sys.stderr)
        on_done(3)
    QTimer.singleShot(SCREENSHOT_TIMEOUT_MS, timeout)


def run_gui(files: list[str], screenshot: str | None = None, raw_format: str | None = None) -> int:
    """Open the workbench; with `screenshot`, save a PNG of the window once rendered and exit."""
    app, window = make_window(files, raw_format, interactive=screenshot is None)
    if screenshot is None:
        window.show()
        return app.exec()
    from PySide6.QtCore import QEventLoop
    window._screenshot_files = len(files) or 1
    window.resize(*SCREENSHOT_SIZE)
    window.show()
    status = {"code": None}
    loop = QEventLoop()  # a loop of its own: QApplication.exit() would end every loop, later ones too

    def done(code: int):
        if status["code"] is None:
            status["code"] = code
            window.close()
            loop.exit(code)
    save_when_ready(window, screenshot, done)
    if status["code"] is None:
        loop.exec()
    return int(status["code"] or 0)


def main(argv: list[str]) -> int:
    """The no-command entry of `python main.py`: parse the GUI's own options and run."""
    parser = argparse.ArgumentParser(prog="python main.py", description="camtune workbench")
    parser.add_argument("files", nargs="*", metavar="FILE", help="captures to open (default: the demo)")
    parser.add_argument("--raw-format", metavar="SPEC",
                        help="geometry of headerless dumps given on the command line: "
                             "WIDTHxHEIGHT:BITS:CFA[:PACKING][:stride=N][:offset=N]")
    parser.add_argument("--screenshot", metavar="OUT.png",
                        help="save a PNG of the window once the first image is shown, then exit")
    args = parser.parse_args(argv)
    if not _has_display():
        if args.screenshot:
            # A screenshot needs no screen: render offscreen rather than let Qt abort.
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
        else:
            print("camtune: error: no display to open the window on (DISPLAY/WAYLAND_DISPLAY unset); "
                  "use a desktop session or X forwarding, or `--screenshot OUT.png`, or the "
                  "command-line tools (`python main.py --help`)", file=sys.stderr)
            return 2
    return run_gui(args.files, args.screenshot, args.raw_format)


def _has_display() -> bool:
    """Whether Qt can open a window here (an explicit QT_QPA_PLATFORM is trusted)."""
    if os.environ.get("QT_QPA_PLATFORM") or not sys.platform.startswith("linux"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
