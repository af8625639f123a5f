"""The tuning side of the workbench: the generated parameter panel, dedicated editors, history,
and the Profile menu.

    from widgets.tuning import TuningPanel, HistoryView, ProfileActions
    panel = TuningPanel(session)                  # dock "Tuning"
    history = HistoryView(session)                # dock "History"
    actions = ProfileActions(session, window)     # menuBar().addMenu(actions.menu())

Everything a parameter shows (range, default, step, unit, label, description) comes from its
declaration in `app/isp/stages.py` through `widgets.tuning.declared`.
"""
from widgets.tuning.actions import ProfileActions, window_title
from widgets.tuning.history import HistoryView
from widgets.tuning.panel import TuningPanel

__all__ = ["TuningPanel", "HistoryView", "ProfileActions", "window_title"]
