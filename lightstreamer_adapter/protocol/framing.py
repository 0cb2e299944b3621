"""Bytes to lines: the reader side of ARI framing (ARI-PROTOCOL.md §1.9).

Feed the bytes received from the Proxy to a :class:`LineBuffer` and drain it with
:meth:`LineBuffer.next_line` until it returns ``None``. Lines come out as ``bytes``
without their terminator; the parser decodes them, so a UTF-8 character split between
two reads needs no care here.
"""

from __future__ import annotations

from collections import deque

from .errors import RemoteProtocolError

__all__ = ["CRLF", "DEFAULT_MAX_LINE_LENGTH", "LineBuffer", "LineTooLongError"]

#: The line terminator this SDK writes (ARI-PROTOCOL.md §1.9).
CRLF = "\r\n"
#: The default limit, in bytes, on the length of an inbound line.
DEFAULT_MAX_LINE_LENGTH = 1 << 20

_BOM = b"\xef\xbb\xbf"
_TERMINATORS = (b"\n", b"\r")


class LineTooLongError(RemoteProtocolError):
    """The Proxy sent a line longer than the configured limit; the line was discarded.

    Attributes:
        max_line_length: The limit, in bytes, that the line exceeded.
    """

    def __init__(self, max_line_length: int) -> None:
        super().__init__(
            f"Discarded an inbound line longer than {max_line_length} bytes; "
            "if the Proxy Adapter legitimately sends such lines, raise the limit "
            "with the max_line_length option"
        )
        self.max_line_length = max_line_length


class LineBuffer:
    """Splits the inbound byte stream into lines (ARI-PROTOCOL.md §1.9, §10 items 5-8).

    CR LF, LF and a lone CR all end a line. Empty lines are skipped, which also makes a
    CR LF split between two reads behave as a single terminator. A UTF-8 BOM at the very
    start of the stream is dropped. Spaces are never stripped.

    A line longer than ``max_line_length`` bytes makes :meth:`next_line` raise
    :class:`LineTooLongError` once, as soon as the limit is passed (even before the
    line's terminator arrives); the line is dropped up to its terminator, without
    buffering its remaining bytes, and the following lines are delivered normally.

    Args:
        max_line_length: The longest line accepted, in bytes, terminator excluded.

    Raises:
        ValueError: ``max_line_length`` is not positive.
    """

    def __init__(self, max_line_length: int = DEFAULT_MAX_LINE_LENGTH) -> None:
        if max_line_length <= 0:
            raise ValueError(f"max_line_length must be positive, not {max_line_length}")
        self._max_line_length = max_line_length
        # Bytes of the last, still incomplete line (or not yet split).
        self._pending = bytearray()
        # _pending[:_scanned] is known to contain no terminator: each byte is searched once.
        self._scanned = 0
        self._lines: deque[bytes] = deque()
        self._at_stream_start = True
        self._discarding = False

    @property
    def max_line_length(self) -> int:
        """The longest line accepted, in bytes, terminator excluded."""
        return self._max_line_length

    def feed(self, data: bytes) -> None:
        """Append bytes received from the Proxy.

        Args:
            data: The bytes, of any length, split anywhere.
        """
        if self._discarding:
            # The rest of an overlong line is dropped as it arrives, so that a peer that
            # never sends a terminator cannot make the buffer grow.
            end = _first_terminator(data)
            if end < 0:
                return
            self._discarding = False
            data = data[end:]
        elif not self._pending and not self._at_stream_start and data.endswith(_TERMINATORS):
            # The usual read: whole lines and nothing pending. Split them right away,
            # without the copy into the pending buffer (ARI-PROTOCOL.md §1.9: CR, LF and
            # CR LF all end a line, exactly the boundaries of bytes.splitlines).
            lines = data.splitlines()
            self._lines.extend(lines if b"" not in lines else filter(None, lines))
            return
        self._pending += data

    def next_line(self) -> bytes | None:
        """Return the next complete, non-empty line, without its terminator.

        Returns:
            The line, or ``None`` when no complete line is buffered.

        Raises:
            LineTooLongError: The next line exceeds the limit; it is discarded and the
                following call continues with the line after it.
        """
        lines = self._lines
        if not lines:
            if not self._pending:
                return None  # the usual end of a read: nothing buffered at all
            self._split()
        if lines:
            line = lines.popleft()
            if len(line) > self._max_line_length:
                raise LineTooLongError(self._max_line_length)
            return line
        if self._at_stream_start:
            return None  # at most a partial BOM, which is not part of any line
        if len(self._pending) > self._max_line_length:
            self._pending.clear()
            self._scanned = 0
            self._discarding = True
            raise LineTooLongError(self._max_line_length)
        return None

    def _split(self) -> None:
        """Move the complete lines of the pending bytes to the queue of lines."""
        pending = self._pending
        if self._at_stream_start:
            # The 1.9.1 BOM tolerance applies to the stream start only (ARI-PROTOCOL.md
            # §1.9); a BOM split between reads is waited for.
            if len(pending) < len(_BOM) and _BOM.startswith(pending):
                return
            self._at_stream_start = False
            if pending.startswith(_BOM):
                del pending[: len(_BOM)]
        # The last terminator is usually close to the end, so rfind stops early; bytes
        # before self._scanned were already searched and hold none.
        end = max(pending.rfind(b"\n", self._scanned), pending.rfind(b"\r", self._scanned))
        if end < 0:
            self._scanned = len(pending)
            return
        complete = bytes(pending[:end])
        del pending[: end + 1]
        self._scanned = len(pending)
        # A lone CR is a terminator too (ARI-PROTOCOL.md §1.9): a raw CR cannot occur
        # inside a packet in either string encoding. bytes.splitlines splits on CR, LF
        # and CR LF; empty lines (e.g. a CR LF split between reads) are skipped.
        self._lines.extend(filter(None, complete.splitlines()))


def _first_terminator(data: bytes) -> int:
    """Return the index of the first CR or LF in ``data``, or -1."""
    lf = data.find(b"\n")
    cr = data.find(b"\r", 0, lf if lf >= 0 else len(data))
    return cr if cr >= 0 else lf
