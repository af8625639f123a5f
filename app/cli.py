"""Command-line dispatch: sub-commands registered by each package, one clear error per failure.

Every package that offers commands has a `commands` module with `register(subparsers)`; each
command's handler takes the parsed args and returns the exit status. A `CamtuneError` becomes
one line on stderr and exit status 2; anything unexpected one line and status 1 (set
CAMTUNE_DEBUG=1 to see the traceback).
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback

from app.errors import CamtuneError

# Packages whose `commands` module contributes sub-commands, in help order.
COMMAND_MODULES = ("app.commands", "app.simulate.commands", "tuning_profiles.commands")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python main.py",
        description="camtune: RAW captures through a live-tunable ISP, tuning profiles and "
                    "firmware export. With no command, opens FILE(s) (or the demo capture).")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name and name.startswith(err.name):
                continue  # that package is not part of this build
            raise
        module.register(sub)
    return parser


def run(argv: list[str] | None = None, open_files=None) -> int:
    """Run a command, or with no command `open_files(argv)` (main.py passes the workbench's
    launcher; the default renders the files to PNGs, so the engine runs without Qt)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        parser = build_parser()
        commands = set(parser._subparsers._group_actions[0].choices)  # noqa: SLF001 (argparse API)
        if not argv or (argv[0] not in commands and argv[0] not in ("-h", "--help")):
            if open_files is None:
                from app.commands import open_files
            return int(open_files(argv) or 0)
        args = parser.parse_args(argv)
        return int(args.handler(args) or 0)
    except CamtuneError as err:
        print(f"camtune: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into `head` and closed: not an error
        return 0
    except Exception as err:  # a bug, not the user's fault: say so in one line
        if os.environ.get("CAMTUNE_DEBUG"):
            traceback.print_exc()
        print(f"camtune: internal error: {type(err).__name__}: {err} "
              "(set CAMTUNE_DEBUG=1 for details)", file=sys.stderr)
        return 1
