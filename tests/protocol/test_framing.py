"""The inbound line reader (ARI-PROTOCOL.md §1.9, §10 items 4-8)."""

from __future__ import annotations

import pytest

from lightstreamer_adapter.protocol.errors import RemoteProtocolError
from lightstreamer_adapter.protocol.framing import (
    CRLF,
    DEFAULT_MAX_LINE_LENGTH,
    LineBuffer,
    LineTooLongError,
)

BOM = b"\xef\xbb\xbf"


def drain(buffer: LineBuffer) -> list[bytes]:
    """Return every complete line buffered (a LineTooLongError propagates)."""
    lines = []
    while (line := buffer.next_line()) is not None:
        lines.append(line)
    return lines


def read_all(chunks: list[bytes], max_line_length: int = DEFAULT_MAX_LINE_LENGTH) -> list[object]:
    """Feed chunks, draining after each; overlong lines appear as the string "TOO LONG"."""
    buffer = LineBuffer(max_line_length)
    out: list[object] = []
    for chunk in chunks:
        buffer.feed(chunk)
        while True:
            try:
                line = buffer.next_line()
            except LineTooLongError:
                out.append("TOO LONG")
                continue
            if line is None:
                break
            out.append(line)
    return out


def byte_by_byte(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


def test_constants() -> None:
    # §10 item 4: what the writers append
    assert CRLF == "\r\n"
    assert DEFAULT_MAX_LINE_LENGTH == 1 << 20


# (stream, expected lines) — §10 items 5, 6, 7
STREAMS: list[tuple[bytes, list[bytes]]] = [
    (b"a|b\r\nc|d\r\n", [b"a|b", b"c|d"]),  # CR LF
    (b"a|b\nc|d\n", [b"a|b", b"c|d"]),  # LF
    (b"a|b\rc|d\r", [b"a|b", b"c|d"]),  # lone CR
    (b"a\r\nb\nc\rd\r\n", [b"a", b"b", b"c", b"d"]),  # mixed
    (b"\r\n\r\n\n\na\r\n\r\r\rb\n\n", [b"a", b"b"]),  # empty lines ignored
    (b"  a b  \r\n \r\n\t\n", [b"  a b  ", b" ", b"\t"]),  # spaces kept
    (BOM + b"a\r\nb\r\n", [b"a", b"b"]),  # BOM stripped
    (BOM + b"\r\na\r\n", [b"a"]),
    (b"a\r\n" + BOM + b"b\r\n", [b"a", BOM + b"b"]),  # BOM only at the stream start
    (BOM + BOM + b"a\n", [BOM + b"a"]),  # only one BOM
    (b"\xef\xbb\n", [b"\xef\xbb"]),  # a BOM prefix that is not a BOM
    (b"\xefa\n", [b"\xefa"]),
    ("€ é\r\n".encode(), ["€ é".encode()]),
    (b"KEEPALIVE\r\n", [b"KEEPALIVE"]),
    (b"no terminator", []),
    (b"done\r\npartial", [b"done"]),
    (b"", []),
]


@pytest.mark.parametrize(("stream", "lines"), STREAMS)
def test_whole(stream: bytes, lines: list[bytes]) -> None:
    assert read_all([stream]) == lines


@pytest.mark.parametrize(("stream", "lines"), STREAMS)
def test_byte_by_byte(stream: bytes, lines: list[bytes]) -> None:
    assert read_all(byte_by_byte(stream)) == lines


@pytest.mark.parametrize(("stream", "lines"), STREAMS)
def test_every_split_point(stream: bytes, lines: list[bytes]) -> None:
    for cut in range(len(stream) + 1):
        assert read_all([stream[:cut], stream[cut:]]) == lines, cut


@pytest.mark.parametrize(("stream", "lines"), STREAMS)
def test_fed_all_before_draining(stream: bytes, lines: list[bytes]) -> None:
    buffer = LineBuffer()
    for chunk in byte_by_byte(stream):
        buffer.feed(chunk)
    assert drain(buffer) == lines


def test_cr_at_chunk_end_then_lf_is_one_terminator() -> None:
    # §10 item 5: "\r" then "\n" in the next read must not produce an extra line.
    buffer = LineBuffer()
    buffer.feed(b"1|SUB|S|item\r")
    assert buffer.next_line() == b"1|SUB|S|item"  # a lone CR already ends the line
    assert buffer.next_line() is None
    buffer.feed(b"\n2|USB|S|item\r\n")
    assert buffer.next_line() == b"2|USB|S|item"
    assert buffer.next_line() is None


def test_split_bom() -> None:
    # §10 item 6: a BOM split across reads is still stripped
    buffer = LineBuffer()
    buffer.feed(b"\xef")
    assert buffer.next_line() is None
    buffer.feed(b"\xbb")
    assert buffer.next_line() is None
    buffer.feed(b"\xbfID|DPI\r\n")
    assert buffer.next_line() == b"ID|DPI"


def test_multibyte_character_split_across_feeds() -> None:
    # §10 item 8: the buffer works on bytes, so the parser sees the whole character
    data = "1|UD3|S|€\r\n".encode()
    cut = data.index(b"\xe2") + 1
    buffer = LineBuffer()
    buffer.feed(data[:cut])
    assert buffer.next_line() is None
    buffer.feed(data[cut:])
    line = buffer.next_line()
    assert line is not None
    assert line.decode("utf-8") == "1|UD3|S|€"


def test_lines_are_bytes() -> None:
    buffer = LineBuffer()
    buffer.feed(b"x\n")
    line = buffer.next_line()
    assert type(line) is bytes


def test_overlong_line_raises_once_then_continues() -> None:
    buffer = LineBuffer(max_line_length=10)
    buffer.feed(b"short\r\n" + b"x" * 11 + b"\r\nafter\r\n")
    assert buffer.next_line() == b"short"
    with pytest.raises(LineTooLongError) as info:
        buffer.next_line()
    assert info.value.max_line_length == 10
    assert "max_line_length" in str(info.value)
    assert "10" in str(info.value)
    assert buffer.next_line() == b"after"
    assert buffer.next_line() is None


def test_line_at_the_limit_is_accepted() -> None:
    assert read_all([b"x" * 10 + b"\r\n"], max_line_length=10) == [b"x" * 10]
    assert read_all([b"x" * 10 + b"\r\n"], max_line_length=9) == ["TOO LONG"]


def test_line_too_long_is_a_remote_protocol_error() -> None:
    assert issubclass(LineTooLongError, RemoteProtocolError)


def test_overlong_before_terminator_raises_early() -> None:
    buffer = LineBuffer(max_line_length=10)
    buffer.feed(b"x" * 8)
    assert buffer.next_line() is None
    buffer.feed(b"x" * 8)
    with pytest.raises(LineTooLongError):
        buffer.next_line()
    # the rest of that line is dropped, then the stream resumes
    buffer.feed(b"y" * 100)
    assert buffer.next_line() is None
    buffer.feed(b"yyy\r\nnext\r\n")
    assert buffer.next_line() == b"next"
    assert buffer.next_line() is None


def test_overlong_without_terminator_does_not_buffer() -> None:
    buffer = LineBuffer(max_line_length=100)
    errors = 0
    for _ in range(10_000):
        buffer.feed(b"z" * 1000)
        try:
            assert buffer.next_line() is None
        except LineTooLongError:
            errors += 1
        assert len(buffer._pending) <= 1100  # white-box: bounded memory
    assert errors == 1
    buffer.feed(b"\nok\n")
    assert buffer.next_line() == b"ok"


@pytest.mark.parametrize("cut", range(0, 40))
def test_overlong_split_anywhere(cut: int) -> None:
    stream = b"a\r\n" + b"L" * 20 + b"\r\nb\r\n" + b"M" * 20 + b"\nc\r"
    expected = [b"a", "TOO LONG", b"b", "TOO LONG", b"c"]
    assert read_all([stream[:cut], stream[cut:]], max_line_length=15) == expected


def test_overlong_byte_by_byte() -> None:
    stream = b"a\r\n" + b"L" * 20 + b"\r\nb\r\n" + BOM + b"M" * 20 + b"\nc\r"
    expected = [b"a", "TOO LONG", b"b", "TOO LONG", b"c"]
    assert read_all(byte_by_byte(stream), max_line_length=15) == expected


def test_overlong_terminated_by_lone_cr_then_lf() -> None:
    assert read_all([b"x" * 30, b"\r", b"\ny\r\n"], max_line_length=5) == ["TOO LONG", b"y"]


@pytest.mark.parametrize("limit", [0, -1])
def test_invalid_limit(limit: int) -> None:
    with pytest.raises(ValueError):
        LineBuffer(limit)


def test_max_line_length_property() -> None:
    assert LineBuffer().max_line_length == DEFAULT_MAX_LINE_LENGTH
    assert LineBuffer(5).max_line_length == 5


def test_many_lines_in_one_feed_scale_linearly() -> None:
    # A single large read with many short lines, and lone CRs only (no LF anywhere).
    lines = [f"{i}|SUB|S|item{i}".encode() for i in range(50_000)]
    buffer = LineBuffer()
    buffer.feed(b"\r".join(lines) + b"\r")
    assert drain(buffer) == lines


def test_long_line_in_many_small_feeds_is_not_rescanned() -> None:
    # 1 MiB delivered 64 bytes at a time: linear only if old bytes are not searched again.
    buffer = LineBuffer()
    chunk = b"v" * 64
    for _ in range((1 << 20) // 64 - 1):
        buffer.feed(chunk)
        assert buffer.next_line() is None
    buffer.feed(b"\r\n")
    line = buffer.next_line()
    assert line is not None
    assert len(line) == (1 << 20) - 64
