"""The servers that connect your adapters to a Lightstreamer Server.

Wrap a :class:`~lightstreamer_adapter.interfaces.data.DataProvider` in a
:class:`DataProviderServer`, or a
:class:`~lightstreamer_adapter.interfaces.metadata.MetadataProvider` in a
:class:`MetadataProviderServer`, and call ``start()``. Each server opens one connection
to its Proxy Adapter and serves it on its own (non-daemon) threads until ``close()`` or
the end of the connection; errors go to an :class:`ExceptionHandler`.

The names of 1.3.1 are kept, including the module functions :func:`notify` and
:func:`create_socket_and_connect`.
"""

from __future__ import annotations

import functools
import importlib
import socket
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._threading.base import ExceptionHandler, Server
from ._threading.transport import DEFAULT_CONNECT_TIMEOUT, open_connection
from .protocol.errors import CloseRequestedError, RemotingException

if TYPE_CHECKING:
    import ssl

    from ._threading.data_server import DataProviderServer
    from ._threading.metadata_server import ControlRequestError as ControlRequestError
    from ._threading.metadata_server import MetadataProviderServer

__all__ = ["DataProviderServer", "ExceptionHandler", "MetadataProviderServer", "Server"]

# Not in __all__ (as in 1.3.1), but importable from here.
_EXTRA = (CloseRequestedError, RemotingException)

# Each server class is imported on first use, so that a process runs only the code of
# the side it serves: a Data Adapter process never loads the Metadata server, its request
# handlers and their ``decimal``/``numbers`` (measured: -0.4 MB of resident memory), and
# the reverse. ``from lightstreamer_adapter.server import MetadataProviderServer`` works
# as before (it calls the module ``__getattr__`` below); the names are typed through the
# ``TYPE_CHECKING`` imports above.
_LAZY = {
    "DataProviderServer": "._threading.data_server",
    "MetadataProviderServer": "._threading.metadata_server",
    "ControlRequestError": "._threading.metadata_server",
}


def __getattr__(name: str) -> Any:
    try:
        module_name = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module_name, __package__), name)
    globals()[name] = value  # later look-ups are plain module attributes
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


def notify(function: Callable[..., str]) -> Callable[..., str]:
    """Decorate a function returning a notification so that it gets a timestamp.

    Kept from 1.3.1: the result becomes ``"<epoch milliseconds>|<result>"``.
    """

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> str:
        return f"{round(time.time() * 1000)}|{function(*args, **kwargs)}"

    return wrapper


def create_socket_and_connect(
    address: tuple[str, int], ssl_context: ssl.SSLContext | None = None
) -> socket.socket:
    """Connect to ``address`` as the servers do (kept from 1.3.1).

    IPv4 or IPv6, a 10 second connect timeout, ``TCP_NODELAY``, and TLS when
    ``ssl_context`` is given (checking the host name of ``address``).

    Raises:
        OSError: The connection failed.
    """
    return open_connection(
        address, connect_timeout=DEFAULT_CONNECT_TIMEOUT, ssl_context=ssl_context
    )
