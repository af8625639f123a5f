"""camtune workbench: all Qt code lives here.

The PySide6 6.12 / Python 3.11 reference-count workaround is applied first, before any Qt call
(see `widgets/pyside_workaround.py`); importing any `widgets` module guarantees it.
"""
from widgets import pyside_workaround  # noqa: F401  (must run before any Qt call)
