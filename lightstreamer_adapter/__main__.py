"""The command line: ``python -m lightstreamer_adapter`` (or ``lightstreamer-adapter``).

Two commands, both built on the Proxy Adapter simulator of
:mod:`lightstreamer_adapter.testing`:

``demo``
    Runs a bundled stock-list adapter set against the simulator, in this process, and
    shows its updates as a refreshing table for a few seconds.
``simulate``
    Plays the Proxy Adapters of ``adapters.xml.example`` (Metadata on port 6663, Data on
    6661) for your own ``adapters.py`` started separately: waits for it to connect,
    initialises it, authenticates a user, resolves items and fields, subscribes and
    prints what the adapters send.

Run ``python -m lightstreamer_adapter <command> --help`` for the options.
"""

from __future__ import annotations

import argparse
import sys

from . import __version__
from ._cli import demo, simulate

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    """The parser of the whole command line, with one sub-parser per command."""
    parser = argparse.ArgumentParser(
        prog="python -m lightstreamer_adapter",
        description=(
            "Lightstreamer Remote Adapter SDK for Python: see the SDK at work (demo) or "
            "test your own adapters without a Lightstreamer Server (simulate)."
        ),
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"lightstreamer-adapter {__version__} (ARI protocol 1.9.1)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo.add_parser(commands)
    simulate.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return the exit status.

    Args:
        argv: The arguments, without the program name; ``None``: ``sys.argv[1:]``.

    Returns:
        ``0`` on success, ``1`` when the command failed, ``2`` for a usage error.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    status: int = args.run(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
