"""Saving never loses or half-writes a user's file."""
from __future__ import annotations

import os

import pytest

from app.atomic import atomic_open, atomic_write_text


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "profile.json"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_open(target, "w", encoding="utf-8") as handle:
            handle.write("half")
            raise RuntimeError("disk full")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["profile.json"]


def test_backup_and_permissions(tmp_path):
    target = tmp_path / "profile.json"
    target.write_text("v1")
    os.chmod(target, 0o640)
    atomic_write_text(target, "v2", backup=True)
    assert target.read_text() == "v2" and (tmp_path / "profile.json.bak").read_text() == "v1"
    assert (target.stat().st_mode & 0o777) == 0o640
    fresh = tmp_path / "new.json"
    atomic_write_text(fresh, "x")
    assert fresh.stat().st_mode & 0o044  # readable by others under the usual umask, not 0600
