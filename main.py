#!/usr/bin/env python3
"""camtune entry point: `python main.py [FILE...]` opens the workbench on captures (or the demo);
`python main.py COMMAND ...` runs a command-line tool (info, render, bench, simulate, validate,
diff, export, import, warmup). The engine (`app/`) never imports Qt, so the workbench is started
from here: `app.cli.run` calls `_workbench` when no command is given.
"""
import sys


def _workbench(argv: list[str]) -> int:
    from widgets.app import main  # Qt is imported only when the window is wanted
    return main(argv)


if __name__ == "__main__":
    from app.cli import run
    sys.exit(run(open_files=_workbench))
