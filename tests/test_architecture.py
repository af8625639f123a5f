"""The engine and the profile format never import Qt: checked on the source and at run time."""
from __future__ import annotations

import ast
import subprocess
import sys

from conftest import PROJECT

QT_MODULES = ("PySide6", "pyqtgraph", "superqt", "shiboken6", "qtpy", "PyQt5", "PyQt6")
QT_FREE_PACKAGES = ("app", "tuning_profiles")


def _imports(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def test_no_qt_import_in_engine_sources():
    offenders = []
    for package in QT_FREE_PACKAGES:
        for path in sorted((PROJECT / package).rglob("*.py")):
            for name in _imports(path):
                if name.split(".")[0] in QT_MODULES:
                    offenders.append(f"{path.relative_to(PROJECT)} imports {name}")
    assert not offenders, "Qt imported in the Qt-free core:\n" + "\n".join(offenders)


def test_engine_runs_without_loading_qt():
    code = (
        "import sys, pkgutil, importlib\n"
        "for pkg in ('app', 'tuning_profiles'):\n"
        "    mod = importlib.import_module(pkg)\n"
        "    for info in pkgutil.walk_packages(mod.__path__, pkg + '.'):\n"
        "        importlib.import_module(info.name)\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {QT_MODULES!r}]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"Qt modules loaded by the engine: {out.stdout}"
