"""The sans-IO core of the ARI protocol: bytes in, typed messages out, and back.

Nothing here touches sockets, threads or clocks, so the same core serves the
thread-based servers, an asyncio front end and the Proxy simulator.

Modules:

* :mod:`~lightstreamer_adapter.protocol.fields` — the token codec (strings in both
  encodings, numbers, modes, ...);
* :mod:`~lightstreamer_adapter.protocol.messages` — one dataclass per packet;
* :mod:`~lightstreamer_adapter.protocol.parse` — lines to messages;
* :mod:`~lightstreamer_adapter.protocol.encode` — messages to lines (and the hot-path
  update encoder);
* :mod:`~lightstreamer_adapter.protocol.framing` — bytes to lines;
* :mod:`~lightstreamer_adapter.protocol.negotiation` — version and keepalive decisions;
* :mod:`~lightstreamer_adapter.protocol.errors` — the exception tree;
* :mod:`~lightstreamer_adapter.protocol.versions` — protocol versions.

:class:`RemotingException` stays importable from here, as in 1.3.1.
"""

from __future__ import annotations

from .errors import (
    CloseRequestedError,
    LocalProtocolError,
    ProtocolError,
    RemoteProtocolError,
    RemotingException,
    UnknownMethodError,
)

__all__ = [
    "CloseRequestedError",
    "LocalProtocolError",
    "ProtocolError",
    "RemoteProtocolError",
    "RemotingException",
    "UnknownMethodError",
]
