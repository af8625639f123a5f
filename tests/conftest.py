"""Shared fixtures: the real captures and tuning files in ../shared, skipped clearly when absent."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("COLOUR_SCIENCE__FILTER_USAGE_WARNINGS", "True")

import widgets  # noqa: E402,F401  (applies the PySide6 6.12 refcount workaround before any Qt call)

PROJECT = Path(__file__).resolve().parents[1]
SHARED = PROJECT.parent / "shared"


def shared_file(relative: str) -> Path:
    """Path of a file in ../shared, or skip the test saying what is missing."""
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"{relative} not found in {SHARED} (real test data lives beside the project)")
    return path


@pytest.fixture
def shared():
    return shared_file
