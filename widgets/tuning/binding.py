"""One parameter of one stage, bound to the session: read it, edit it, reset it.

Edits go to `Session.set_stage` with a merge key that names one *gesture*: a whole slider drag,
or a burst of wheel/arrow steps on one value, becomes one undo step. Continuous edits are
throttled (superqt `qthrottled`, leading and trailing edge) so the session, and through it the
renderer, sees a new value at most once per frame and always the newest one last.
"""
from __future__ import annotations

import itertools
import time

from PySide6.QtCore import QObject, Signal
from superqt.utils import qthrottled

from app.isp.declare import ParamSpec

THROTTLE_MS = 30        # at most one edit per ~frame reaches the session while dragging
GESTURE_IDLE_S = 0.8    # steps further apart than this start a new undo step
_GESTURES = itertools.count(1)


def error_text(err: Exception) -> str:
    """A validation error as the one line a tuner reads (pydantic's prefixes removed)."""
    errors = getattr(err, "errors", None)
    if callable(errors):
        lines = []
        for e in errors(include_url=False):
            msg = str(e.get("msg", ""))
            lines.append(msg.removeprefix("Value error, "))
        return "; ".join(lines)
    return str(err)


class ParamBinding(QObject):
    """Reads and writes `session.profile.stages.<stage>.<spec.name>`."""

    failed = Signal(str)   # a rejected edit's message (the widget shows it, the value stays)

    def __init__(self, session, stage: str, spec: ParamSpec, parent: QObject | None = None):
        super().__init__(parent)
        self.session = session
        self.stage = stage
        self.spec = spec
        self._key: str | None = None
        self._part = None
        self._last = 0.0
        self._dragging = False
        self._push_throttled = qthrottled(self._push, timeout=THROTTLE_MS, leading=True, parent=self)

    # ----- reading -----------------------------------------------------------------------
    @property
    def path(self) -> str:
        return f"{self.stage}.{self.spec.name}"

    def stage_values(self):
        return getattr(self.session.profile.stages, self.stage)

    def value(self):
        return getattr(self.stage_values(), self.spec.name)

    def is_default(self, part: int | None = None) -> bool:
        value, default = self.value(), self.spec.default
        if part is not None:
            return value[part] == default[part]
        return value == default

    # ----- gestures ----------------------------------------------------------------------
    def begin_drag(self, part=None) -> None:
        """A press on a slider or point: every edit until `end_drag` is one undo step."""
        self._new_key(part)
        self._dragging = True

    def end_drag(self) -> None:
        self._push_throttled.flush()
        self._dragging = False
        self._key = None

    @property
    def dragging(self) -> bool:
        return self._dragging

    def _new_key(self, part) -> str:
        self._key = f"{self.path}{'' if part is None else f'[{part}]'}#{next(_GESTURES)}"
        self._part = part
        return self._key

    def _gesture_key(self, part) -> str:
        now = time.monotonic()
        stale = self._key is None or part != self._part or now - self._last > GESTURE_IDLE_S
        if stale and not self._dragging:
            self._new_key(part)
        self._last = now
        return self._key

    # ----- writing -----------------------------------------------------------------------
    def edit(self, value, part=None) -> None:
        """A continuous edit (drag, wheel, arrow keys): throttled, merged per gesture."""
        self._push_throttled(value, self._gesture_key(part))

    def commit(self, value) -> None:
        """A discrete edit (a choice, a switch, a reset): applied now, its own undo step."""
        self._push_throttled.cancel()
        self._key = None
        self._push(value, None)

    def reset(self) -> None:
        self.commit(self.spec.default)

    def flush(self) -> None:
        self._push_throttled.flush()

    def _push(self, value, key) -> None:
        try:
            self.session.set_stage(self.stage, merge_key=key, **{self.spec.name: value})
        except ValueError as err:      # pydantic's ValidationError is a ValueError
            self.failed.emit(error_text(err))
