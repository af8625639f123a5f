"""Work around PySide6 6.12's lost reference to None on Python 3.11 .

Measured here (PySide6-Essentials 6.12.0, abi3 wheel, CPython 3.11.7): every call of a C++
method returning `void` (`processEvents()`, `setValue()`, `show()`...) drops one reference to
`None` without taking it. After a few thousand such calls CPython aborts with "Fatal Python
error: none_dealloc". Python 3.12 made None immortal, which hides the bug there; this does the
same by hand for 3.11: it gives None (and True/False, for safety) a reference count no program
can exhaust. Harmless when the bug is fixed; a no-op from Python 3.12 on.
"""
from __future__ import annotations

import ctypes
import sys

_RESERVE = 1 << 40   # far more references than any run can drop


def apply() -> None:
    if sys.version_info >= (3, 12) or getattr(apply, "done", False):
        return
    for obj in (None, True, False):
        # CPython: ob_refcnt is the first field of every object (Py_ssize_t)
        ctypes.c_ssize_t.from_address(id(obj)).value += _RESERVE
    apply.done = True


apply()
