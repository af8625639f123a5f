#!/usr/bin/env python3
"""camtune entry point: `python main.py [FILE...]` opens captures; `python main.py COMMAND ...` runs
a command-line tool (info, render, bench, simulate, validate, diff, export, import, warmup)."""
import sys

if __name__ == "__main__":
    from app.cli import run
    sys.exit(run())
