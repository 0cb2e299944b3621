"""SUB and USB read from the tokens of a plain line, and the lines that are not plain.

A ``SUB``/``USB`` line without escapes or empty tokens reaches the Data server as its
tokens (``ProtocolConnection.next_message_or_tokens``); the server takes the item by
position and never builds the typed request. Any other shape must still be decided by
the general parser, with the same replies as before.
"""

from __future__ import annotations

from typing import Any

import pytest

from lightstreamer_adapter.protocol.errors import RemoteProtocolError


def _spy_typed_parser(server: Any) -> list[list[str]]:
    """Record the token lists the server hands to the general parser."""
    calls: list[list[str]] = []
    conn = server._conn
    original = conn.parse_tokens

    def parse_tokens(tokens: list[str]) -> Any:
        calls.append(list(tokens))
        return original(tokens)

    conn.parse_tokens = parse_tokens
    return calls


def _adapter_calls(adapter: Any) -> list[tuple[Any, ...]]:
    return [call for call in adapter.calls if call[0] not in ("initialize", "set_listener")]


@pytest.mark.parametrize(("token", "item"), [("item one", "item one"), ("$", "")])
def test_plain_sub_and_usb_skip_the_typed_parser(
    kit: Any, proxy: Any, closing: list[Any], token: str, item: str
) -> None:
    adapter = kit.Adapter()
    server = kit.start_server(proxy, adapter, closing)
    typed = _spy_typed_parser(server)
    proxy.send(f"S1|SUB|S|{token}")
    assert proxy.read_line() == "S1|SUB|V"
    proxy.send(f"U1|USB|S|{token}")
    assert proxy.read_line() == "U1|USB|V"
    assert typed == []
    assert _adapter_calls(adapter) == [
        ("issnapshot_available", item),
        ("subscribe", item),
        ("unsubscribe", item),
    ]


def test_escaped_item_takes_the_typed_path(kit: Any, proxy: Any, closing: list[Any]) -> None:
    adapter = kit.Adapter()
    kit.start_server(proxy, adapter, closing)
    proxy.send("S1|SUB|S|a%7Cb%25")
    assert proxy.read_line() == "S1|SUB|V"
    assert _adapter_calls(adapter)[-1] == ("subscribe", "a|b%")


@pytest.mark.parametrize(
    "line",
    [
        "X1|SUB|S|#",  # a null item
        "X1|SUB|S|a|S|b",  # one value too many
        "X1|SUB|I|5",  # not a string
        "X1|USB|S|#",
        "X1|USB|S|a|S|b",
    ],
)
def test_plain_line_of_another_shape_is_left_to_the_parser(
    kit: Any, proxy: Any, closing: list[Any], line: str
) -> None:
    handler = kit.RecordingHandler()
    adapter = kit.Adapter()
    server = kit.start_server(proxy, adapter, closing, handler=handler)
    typed = _spy_typed_parser(server)
    proxy.send(line)
    method = line.split("|")[1]
    reply = proxy.read_reply("X1")
    assert reply.startswith(f"X1|{method}|E|")  # a generic error naming the problem
    kit.wait_until(lambda: handler.errors, 5.0, "the malformed line reported")
    error = handler.errors[0]
    assert isinstance(error, RemoteProtocolError)
    assert (error.request_id, error.method) == ("X1", method)
    assert typed == [line.split("|")]
    assert _adapter_calls(adapter) == []
    # The connection goes on with the next request.
    proxy.send("S2|SUB|S|item")
    assert proxy.read_line() == "S2|SUB|V"
