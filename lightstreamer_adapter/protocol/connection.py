"""The state of one ARI connection, without I/O: framing, init gate, version.

A :class:`ProtocolConnection` is fed the bytes received from the Proxy Adapter and
returns typed messages; it enforces what may arrive when (ARI-PROTOCOL.md §2.8, §6.2)
and remembers the negotiated version, which decides how lines are parsed and encoded.
It never touches a socket, a thread or a clock: the front ends own those::

    connection = ProtocolConnection(Side.DATA)
    connection.receive_data(sock.recv(65536))
    while (message := connection.next_message()) is not None:
        ...  # dispatch; a RemoteProtocolError is one bad line, the next call goes on

The init gate, in the order of §2.8:

1. ``KEEPALIVE`` is returned as :class:`~.messages.Keepalive` at any time. The Proxy is
   not known to send it (§2.6); returning it lets the front end log it with the other
   keepalives, and ignoring it is the front end's whole job [INFERRED].
2. ``CLOSE`` is accepted at any time; with an id other than ``0`` it is a
   :class:`~.errors.RemoteProtocolError`.
3. A method that this side does not know, including the other side's requests (e.g.
   ``NUS`` on a Data connection), raises :class:`~.errors.UnknownMethodError`.
4. The init request (``DPI`` on the Data side, ``MPI`` on the Metadata side) is accepted
   once; a second one raises :class:`~.errors.RemoteProtocolError` ("late init").
5. Any other request before :meth:`ProtocolConnection.accept_init` raises
   :class:`~.errors.RemoteProtocolError` ("request received while waiting for init").

On the Metadata side the Proxy's replies to ``FST``/``FUS`` are legal after init.
"""

from __future__ import annotations

from .encode import encode_remote_message
from .errors import LocalProtocolError, RemoteProtocolError, UnknownMethodError
from .framing import DEFAULT_MAX_LINE_LENGTH, LineBuffer
from .messages import DataInitRequest, MetadataInitRequest, ProxyMessage, RemoteMessage
from .negotiation import Negotiated, Refused, Side, negotiate_version
from .parse import _parse_proxy_tokens, parse_proxy_line, parse_proxy_tokens
from .versions import LATEST, ProtocolVersion

__all__ = ["ProtocolConnection"]

_NONE: frozenset[str] = frozenset()

# What the Proxy may send on each side (ARI-PROTOCOL.md §1.3, §1.4), besides CLOSE and
# KEEPALIVE; FST/FUS are the Proxy's replies to our own requests (§2.4).
_DATA_METHODS = frozenset({"DPI", "SUB", "USB"})
_METADATA_METHODS = frozenset(
    {
        "MPI",
        "NUS",
        "NUA",
        "GIS",
        "GSC",
        "GIT",
        "GUI",
        "NUM",
        "NNS",
        "NSC",
        "NNT",
        "NTC",
        "MDA",
        "MSA",
        "MDC",
        "FST",
        "FUS",
    }
)


class ProtocolConnection:
    """One connection to the Proxy Adapter, as seen by a Remote Adapter (sans-IO).

    Args:
        side: Which adapter the connection serves.
        max_line_length: The longest inbound line accepted, in bytes; a longer line is
            dropped with a :class:`~.framing.LineTooLongError`.
    """

    def __init__(self, side: Side, *, max_line_length: int = DEFAULT_MAX_LINE_LENGTH) -> None:
        self._side = side
        self._lines = LineBuffer(max_line_length)
        self._version: ProtocolVersion | None = None
        self._init_received = False
        # The methods parsed at once, without the init gate: this side's requests but
        # the init request, once accept_init has been called.
        self._open_methods: frozenset[str] = frozenset()
        # See plain_methods: the methods asked for, and those returned as tokens (none
        # before init, nor at a version with the Backward-Compatibility encoding).
        self._plain_wanted: frozenset[str] = frozenset()
        self._plain: frozenset[str] = frozenset()
        if side is Side.DATA:
            self._methods, self._other_methods = _DATA_METHODS, _METADATA_METHODS
            self._init_method = "DPI"
        else:
            self._methods, self._other_methods = _METADATA_METHODS, _DATA_METHODS
            self._init_method = "MPI"

    @property
    def side(self) -> Side:
        """Which adapter the connection serves."""
        return self._side

    @property
    def version(self) -> ProtocolVersion | None:
        """The negotiated version, or ``None`` until :meth:`accept_init`."""
        return self._version

    @property
    def initialized(self) -> bool:
        """Whether :meth:`accept_init` was called."""
        return self._version is not None

    @property
    def plain_methods(self) -> frozenset[str]:
        """The requests that :meth:`next_message_or_tokens` returns unparsed when plain.

        Empty by default. A front end that serves its most frequent requests straight
        from their tokens sets it (ignored until :meth:`accept_init`, and at versions
        with the Backward-Compatibility encoding, where ``+`` needs decoding).
        """
        return self._plain_wanted

    @plain_methods.setter
    def plain_methods(self, methods: frozenset[str]) -> None:
        self._plain_wanted = frozenset(methods)
        self._update_plain()

    def _update_plain(self) -> None:
        version = self._version
        if version is None or not version.smart_encoding:
            self._plain = frozenset()
        else:
            self._plain = self._plain_wanted & self._open_methods

    def receive_data(self, data: bytes) -> None:
        """Feed bytes received from the Proxy, split anywhere.

        Args:
            data: The bytes.
        """
        self._lines.feed(data)

    def next_message(self) -> ProxyMessage | None:
        """Return the next message received, or ``None`` when no complete line is buffered.

        After an exception the line that caused it is gone: call again to go on with
        the next line.

        Returns:
            The message, or ``None``.

        Raises:
            UnknownMethodError: A well-formed line with a method this side does not know
                (log it; it gets no reply).
            RemoteProtocolError: A malformed line, ``CLOSE`` with an id other than
                ``0``, a request before init, a second init, or a line longer than the
                limit; ``request_id`` and ``method`` are set when they could be read.
        """
        line = self._lines.next_line()
        if line is None:
            return None
        message = self._receive_line(line, _NONE)
        assert not isinstance(message, list)
        return message

    def next_message_or_tokens(self) -> ProxyMessage | list[str] | None:
        """:meth:`next_message`, but a plain request of one of :attr:`plain_methods`
        comes back as its tokens (the line split on ``|``), not parsed.

        A *plain* request line has no empty token and no ``%``: each of its values
        decodes to itself but ``#`` and ``$`` (see :func:`~.parse.plain_values`). Its
        shape (type letters, arity) is not checked: :meth:`parse_tokens` does that, and
        gives the typed request or the error that :meth:`next_message` would have
        given.

        Raises:
            UnknownMethodError: See :meth:`next_message`.
            RemoteProtocolError: See :meth:`next_message`.
        """
        line = self._lines.next_line()
        if line is None:
            return None
        return self._receive_line(line, self._plain)

    def parse_tokens(self, tokens: list[str]) -> ProxyMessage:
        """Parse the tokens :meth:`next_message_or_tokens` returned, as
        :meth:`next_message` would have parsed their line.

        Raises:
            RemoteProtocolError: The line is malformed.
        """
        return parse_proxy_tokens(tokens, self._version or LATEST)

    def _receive_line(self, line: bytes, plain: frozenset[str]) -> ProxyMessage | list[str]:
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            return parse_proxy_line(line)  # raises the decoding error with its context
        tokens = text.split("|")
        version = self._version
        if (
            version is not None
            and len(tokens) > 1
            and tokens[1] in self._open_methods
            and tokens[0]
        ):
            # A request after init (§2.8 step 6), the usual line: the gate below would let
            # it through; the line is split once, here.
            if tokens[1] in plain and "%" not in text and "" not in tokens:
                return tokens
            return _parse_proxy_tokens(text, tokens, version)
        rid, separator, rest = text.partition("|")
        method = rest.partition("|")[0]
        if not separator or not rid or not method or method == "CLOSE":
            # KEEPALIVE, a malformed line, or CLOSE: the parser decides (§2.8 steps 2-5).
            return parse_proxy_line(text, self._version or LATEST)
        if method not in self._methods:
            raise UnknownMethodError(
                self._unknown_method_text(method), request_id=rid, method=method, line=text
            )
        if method == self._init_method:
            if self._init_received:
                raise RemoteProtocolError(
                    "late init: the init request was already received on this connection",
                    request_id=rid,
                    method=method,
                    line=text,
                )
            message = parse_proxy_line(text)  # always BC (§3.4), whatever the version
            self._init_received = True
            return message
        if self._version is None:
            raise RemoteProtocolError(
                f"request received while waiting for init: {self._init_method}, CLOSE "
                "and KEEPALIVE are the only packets accepted before the init reply",
                request_id=rid,
                method=method,
                line=text,
            )
        return parse_proxy_line(text, self._version)

    def _unknown_method_text(self, method: str) -> str:
        if method in self._other_methods:
            other = "Metadata" if self._side is Side.DATA else "Data"
            return (
                f"Method {method} belongs to a {other} Adapter and is unknown on a "
                f"{self._side.name.title()} Adapter connection: check that the server "
                "is connected to the right port of the Proxy Adapter"
            )
        return f"Unknown method {method!r}"

    def negotiate(self, request: DataInitRequest | MetadataInitRequest) -> Negotiated | Refused:
        """Choose the version to answer to an init request (ARI-PROTOCOL.md §4.3).

        Does not change the state: call :meth:`accept_init` when the success reply is
        sent.

        Args:
            request: The ``DPI``/``MPI`` request returned by :meth:`next_message`.

        Returns:
            :class:`~.negotiation.Negotiated` with the version to answer, or
            :class:`~.negotiation.Refused` with the message of the error reply.
        """
        return negotiate_version(request.params.get("ARI.version"), self._side)

    def accept_init(self, version: ProtocolVersion) -> None:
        """Record the negotiated version: from now on requests are accepted and lines
        are parsed and encoded at ``version``.

        Call it when the success init reply is queued for writing, before the next line
        is read (the init reply itself is always Backward-Compatibility encoded, so it
        may be encoded before or after).

        Args:
            version: The version answered in the init reply.

        Raises:
            LocalProtocolError: A version was already accepted on this connection.
        """
        if self._version is not None:
            raise LocalProtocolError(
                f"accept_init called twice (already initialized at ARI {self._version})"
            )
        self._version = version
        self._init_received = True
        self._open_methods = self._methods - {self._init_method}
        self._update_plain()

    def encode(self, message: RemoteMessage) -> str:
        """Encode a message to send, at the negotiated version (:data:`LATEST` before).

        Args:
            message: The message.

        Returns:
            One line, ``"\\r\\n"`` included.

        Raises:
            LocalProtocolError: The message cannot be sent at this version.
        """
        return encode_remote_message(message, self._version or LATEST)
