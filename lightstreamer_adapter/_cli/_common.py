"""Helpers shared by the commands: logging, signals, value formatting, terminals."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import threading
from collections.abc import Iterator, Mapping, Sequence
from types import FrameType
from typing import IO, Any

__all__ = [
    "add_verbose_option",
    "configure_logging",
    "format_value",
    "format_values",
    "is_terminal",
    "sigterm_interrupts",
    "use_color",
]


def add_verbose_option(parser: argparse.ArgumentParser) -> None:
    """``-v`` (the library's INFO log) and ``-vv`` (DEBUG: every protocol line)."""
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="show the library's log on stderr; twice (-vv) also every protocol line",
    )


def configure_logging(verbose: int) -> None:
    """Send the log to stderr: WARNING by default, INFO with ``-v``, DEBUG with ``-vv``."""
    level = logging.WARNING if verbose <= 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s",
    )


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """Within the block, SIGTERM stops the command as Ctrl-C does (with cleanup)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: Any = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def is_terminal(stream: IO[str]) -> bool:
    """Whether ``stream`` is an interactive terminal that understands ANSI sequences."""
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        return False
    return tty and os.environ.get("TERM", "") != "dumb"


def use_color(stream: IO[str]) -> bool:
    """Whether to color the output (a terminal, and no ``NO_COLOR`` variable)."""
    return is_terminal(stream) and "NO_COLOR" not in os.environ


def format_value(value: str | bytes | None) -> str:
    """A field value for display: ``null`` for ``None``, quotes when blank or spaced."""
    if value is None:
        return "null"
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if value == "" or value != value.strip() or "  " in value:
        return repr(value)
    return value


def format_values(
    values: Mapping[str, str | bytes | None], fields: Sequence[str] | None = None
) -> str:
    """``name=value`` pairs, in the update's order (only ``fields`` when given)."""
    names = [f for f in values if fields is None or f in fields]
    return "  ".join(f"{name}={format_value(values[name])}" for name in names)
