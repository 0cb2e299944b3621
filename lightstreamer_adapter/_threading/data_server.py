"""The Remote Data Adapter server: :class:`DataProviderServer`.

Requests (ARI-PROTOCOL.md §5.6 to §5.8): ``DPI`` is handled by the base class; ``SUB`` and
``USB`` go to a :class:`~lightstreamer_adapter._threading.pool.SerialQueue` keyed by item
name, so that ``subscribe``/``unsubscribe`` for the same item run one at a time, in
request order (§6.3), on the reader thread while they are quick and on the pool otherwise
(see inline.py), so that an item whose calls block does not hold up the others. A plain
``SUB``/``USB`` line (see ``ProtocolConnection.next_message_or_tokens``) is taken from
its tokens without the typed request; the item queue holds ``(method, request id)``.

The server is also the :class:`~lightstreamer_adapter.interfaces.data.ItemEventListener`
passed to the adapter's ``set_listener`` (as in 1.3.1, but now a real subclass). Its
``update`` is the hot path: one dict read for the item's current subscription id, the
line encoded on the caller's thread, and one append to the writer's list under its lock,
where the subscription id is checked again so that no event can follow the ``USB`` reply
(§6.4).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Final

from .. import DATA_PROVIDER_LOGGER
from ..interfaces.data import (
    DataError,
    DataProvider,
    DataProviderError,
    DiffAlgorithm,
    ItemEventListener,
)
from ..protocol.encode import (
    encode_clear_snapshot,
    encode_data_failure,
    encode_end_of_snapshot,
    encode_field_diff_order,
    encode_update,
    encode_void_reply,
)
from ..protocol.error_mapping import describe_exception
from ..protocol.errors import LocalProtocolError
from ..protocol.fields import EMPTY, NULL
from ..protocol.messages import (
    ErrorInfo,
    ErrorKind,
    ErrorReply,
    Method,
    Request,
    SubscribeRequest,
    UnsubscribeRequest,
)
from ..protocol.negotiation import Side
from ..protocol.versions import LATEST
from .base import DEFAULT_CLOSE_TIMEOUT, Server, safe_before_init
from .inline import InlineJob
from .pool import SerialQueue
from .transport import DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_PENDING_BYTES, DEFAULT_SEND_TIMEOUT

if TYPE_CHECKING:
    import ssl

__all__ = ["DataProviderServer"]

#: The refusal of a SUB already followed by a USB for the same item (ARI §5.7, §6.3).
LATE_SUBSCRIBE_MESSAGE: Final = "Subscribe request come too late"
#: Seconds between two warnings about events for items that are not subscribed.
DROP_LOG_INTERVAL: Final = 10.0

_DIFF_NAMES: Final = {member.name: member for member in DiffAlgorithm}
# Reading an Enum member as a class attribute runs Python code in CPython 3.11 (about
# 70 ns, timeit): the request path uses these module constants.
_SUB, _USB = Method.SUB, Method.USB
#: SUB and USB are read from the tokens of their lines (see _dispatch_plain).
_PLAIN_METHODS: Final = frozenset({"SUB", "USB"})
#: What the item queue holds: ``(method, request id)`` of a SUB or USB.
_ItemRequest = tuple[Method, str]


class DataProviderServer(Server, ItemEventListener):
    """Runs a :class:`~lightstreamer_adapter.interfaces.data.DataProvider` for a Proxy.

    Connects to the Proxy Data Adapter of a Lightstreamer Server (7.4 or later, single
    connection) and serves it until :meth:`close` or the end of the connection.

    Args:
        adapter: The Data Adapter.
        address: ``(host, port)`` of the Proxy Data Adapter's ``request_reply_port``
            (IPv4 or IPv6 host name or address).
        name: Name used in log messages; ``"#<n>"`` by default (threads are named by
            role and the server number, e.g. ``ls-data-reader-<n>``).
        keep_alive: Keepalive interval in seconds: ``None`` lets the Proxy decide
            (10 s if it asks for nothing), a positive number is the longest silence
            wanted, ``0`` or less disables keepalives unless the Proxy requires them.
        thread_pool_size: Worker threads; ``0``, ``None`` or negative means the
            number of CPUs. Quick ``subscribe``/``unsubscribe`` calls run on the reader
            thread; the workers take the slow ones (see the threading topic). ``1``
            runs every call on the one worker, strictly one at a time.
        ssl_context: A client :class:`ssl.SSLContext` for a Proxy with ``tls=Y``; the
            Proxy's certificate is checked against the host of ``address``.
        sock: An already connected socket (plain or TLS) to use instead of connecting
            to ``address``, which may then be ``None``.
        connect_timeout: Seconds allowed to connect (and for the TLS handshake);
            ``None`` waits as long as the operating system does.
        send_timeout: Seconds a write to the Proxy may take, and the longest time a
            call such as :meth:`update` waits when the outgoing buffer is full
            (backpressure). After that the connection is considered failed and
            :meth:`ExceptionHandler.handle_ioexception` is called with a
            :class:`TimeoutError`.
        max_pending_bytes: Size of the outgoing buffer, in characters of encoded
            lines (queued plus being written).
        close_timeout: Seconds :meth:`close` waits for the server's threads.

    Raises:
        TypeError: ``adapter`` is not a ``DataProvider``, or ``address`` is not a
            ``(host, port)`` pair (including the three-element form of 1.2).
        ValueError: A timeout or size is not positive.
    """

    _SIDE: ClassVar[Side] = Side.DATA
    _ROLE: ClassVar[str] = "data"
    _LOG = DATA_PROVIDER_LOGGER
    _INIT_METHOD: ClassVar[Method] = Method.DPI
    _INIT_REFUSAL_KIND: ClassVar[ErrorKind] = ErrorKind.DATA
    _REQUEST_METHODS: ClassVar[frozenset[Method]] = frozenset({Method.DPI, Method.SUB, Method.USB})
    _INIT_ERROR: ClassVar[type[Exception]] = DataProviderError
    _ADAPTER_KIND: ClassVar[str] = "Data"

    def __init__(
        self,
        adapter: DataProvider,
        address: tuple[str, int] | None,
        name: str | None = None,
        keep_alive: float | None = None,
        thread_pool_size: int | None = 0,
        ssl_context: ssl.SSLContext | None = None,
        *,
        sock: socket.socket | None = None,
        connect_timeout: float | None = DEFAULT_CONNECT_TIMEOUT,
        send_timeout: float = DEFAULT_SEND_TIMEOUT,
        max_pending_bytes: int = DEFAULT_MAX_PENDING_BYTES,
        close_timeout: float = DEFAULT_CLOSE_TIMEOUT,
    ) -> None:
        if not isinstance(adapter, DataProvider):
            raise TypeError(
                "The provided adapter is not a subclass of "
                "lightstreamer_adapter.interfaces.DataProvider"
            )
        super().__init__(
            address,
            name,
            keep_alive,
            thread_pool_size,
            ssl_context,
            sock=sock,
            connect_timeout=connect_timeout,
            send_timeout=send_timeout,
            max_pending_bytes=max_pending_bytes,
            close_timeout=close_timeout,
        )
        self._adapter = adapter
        # item -> id of the SUB that opened its current subscription (ARI §6.4). Written
        # by the item's serial worker (removals under the transport lock), read by
        # update() without a lock: a dict read is atomic.
        self._sub_ids: dict[str, str] = {}
        # item -> outcome of the last SUB actually executed; only touched by the item's
        # serial worker.
        self._last_ok: dict[str, bool] = {}
        self._items: SerialQueue[str, _ItemRequest] | None = None
        # The current update timestamp and the time.time() interval it stands for.
        self._stamp = ""
        self._stamp_from = self._stamp_until = 0.0
        self._drop_lock = threading.Lock()
        self._drop_next = 0.0
        self._drop_count = 0

    @property
    def adapter(self) -> DataProvider:
        """The Data Adapter this server runs."""
        return self._adapter

    # ------------------------------------------------------------------ listener API

    def update(
        self,
        item_name: str,
        item_event: Mapping[str, Any] | None = None,
        issnapshot: bool | None = None,
        *,
        events_map: Mapping[str, Any] | None = None,
    ) -> None:
        """Send an update for a subscribed item (see :meth:`ItemEventListener.update`).

        Accepts the event as ``item_event`` (positionally, as usual) or, for code
        written against 1.3.1's parameter name, as the keyword ``events_map``. Values
        may be ``str``, ``None``, ``bytes`` or numbers (``int``, ``float``, ``bool``:
        sent as their ``str()`` form). A value of another type is reported to
        :meth:`ExceptionHandler.handle_exception` (by default: logged and sent to the
        Proxy as a Data Adapter failure) and the event is not sent; nothing is raised.

        Non-blocking, except while the outgoing buffer is full (backpressure, see
        ``send_timeout``). Events for an item with no active subscription are dropped
        with a warning, at most one every 10 seconds.

        Raises:
            TypeError: Neither or both of ``item_event`` and ``events_map`` were given,
                or ``issnapshot`` is missing.
        """
        sub_id = self._sub_ids.get(item_name)
        transport = self._transport
        if (
            sub_id is None
            or transport is None
            or item_event is None
            or issnapshot is None
            or events_map is not None
        ):
            # Everything unusual (argument errors, no subscription) in one branch, so that
            # the usual update pays a single test.
            item_event = _event_argument(item_event, issnapshot, events_map)
            sub_id = self._sub_ids.get(item_name)
            transport = self._transport
            if sub_id is None or transport is None:
                self._drop("update", item_name)
                return
        now = _time()
        if not self._stamp_from <= now < self._stamp_until:
            self._new_stamp(now)
        try:
            line = encode_update(
                self._stamp,
                item_name,
                sub_id,
                issnapshot,  # type: ignore[arg-type]  # not None: see _event_argument
                item_event,
                self._version or LATEST,
            )
        except LocalProtocolError as exc:
            self._report_exception(exc)
            return
        transport.send_if(line, self._sub_ids, item_name, sub_id)

    def _new_stamp(self, now: float) -> None:
        # The timestamp of updates (§2.3), made once per millisecond rather than per update
        # (int() and str() cost ~5 % of an update). Several producers may race here; the
        # worst outcome is a timestamp one millisecond off, and the Proxy does not read it.
        millis = int(now * 1000)
        self._stamp = str(millis)
        self._stamp_from = millis / 1000
        self._stamp_until = (millis + 1) / 1000

    def end_of_snapshot(self, item_name: str) -> None:
        """Declare the snapshot of a subscribed item complete (ARI §5.10)."""
        sub_id = self._sub_ids.get(item_name)
        transport = self._transport
        if sub_id is None or transport is None:
            self._drop("end_of_snapshot notify", item_name)
            return
        line = encode_end_of_snapshot(_timestamp(), item_name, sub_id, self._version or LATEST)
        transport.send_if(line, self._sub_ids, item_name, sub_id)

    def clear_snapshot(self, item_name: str) -> None:
        """Ask the Server to clear the state of a subscribed item (ARI §5.11)."""
        sub_id = self._sub_ids.get(item_name)
        transport = self._transport
        if sub_id is None or transport is None:
            self._drop("clear_snapshot notify", item_name)
            return
        line = encode_clear_snapshot(_timestamp(), item_name, sub_id, self._version or LATEST)
        transport.send_if(line, self._sub_ids, item_name, sub_id)

    def declare_field_diff_order(
        self,
        item_name: str,
        algorithms_map: Mapping[str, Sequence[DiffAlgorithm | str] | None],
    ) -> None:
        """Declare the diff algorithms allowed per field (ARI §5.12, ARI 1.9 only).

        Algorithms may be :class:`DiffAlgorithm` members or their names. An unknown
        name is reported to the exception handler and nothing is sent.
        """
        sub_id = self._sub_ids.get(item_name)
        transport = self._transport
        if sub_id is None or transport is None:
            self._drop("declare_field_diff_order notify", item_name)
            return
        version = self._version or LATEST
        if not version.smart_encoding:
            self._LOG.warning(
                "Field diff order for item %s dropped: protocol version %s does not "
                "support it (Lightstreamer Server 7.3 or later needed)",
                item_name,
                version,
            )
            return
        try:
            algorithms = _algorithms(item_name, algorithms_map)
            line = encode_field_diff_order(_timestamp(), item_name, sub_id, algorithms, version)
        except LocalProtocolError as exc:
            self._report_exception(exc)
            return
        transport.send_if(line, self._sub_ids, item_name, sub_id)

    def failure(self, exception: BaseException) -> None:
        """Tell the Proxy that the Data Adapter failed (``FAL``, ARI §5.4)."""
        self._send_failure(describe_exception(exception))

    # ------------------------------------------------------------------ base hooks

    def _initialize_adapter(
        self, parameters: dict[str, str | None], config_file: str | None
    ) -> None:
        self._adapter.initialize(parameters, config_file)  # type: ignore[arg-type]
        self._adapter.set_listener(self)

    def _dispatch_request(self, request: Request, inline: bool) -> InlineJob | None:
        # Reader thread (or the init worker), under the gate lock: never blocks.
        if not isinstance(request, (SubscribeRequest, UnsubscribeRequest)):
            self._LOG.warning("Server %s: discarding unexpected request %r", self._name, request)
            return None
        return self._dispatch(request.item, (request.METHOD, request.request_id), inline)

    def _dispatch_plain(self, tokens: list[str], method: Method, inline: bool) -> InlineJob | None:
        # Reader thread, under the connection lock. SUB and USB straight from the tokens,
        # without the typed request, when they are exactly S|<item> with a non-null item
        # (as the general parser requires); any other shape goes to that parser.
        if len(tokens) != 4 or tokens[2] != "S" or tokens[3] == NULL:
            return self._dispatch_request(self._parse_plain(tokens), inline)
        item = tokens[3]
        return self._dispatch("" if item == EMPTY else item, (method, tokens[0]), inline)

    def _dispatch(self, item: str, request: _ItemRequest, inline: bool) -> InlineJob | None:
        items = self._items
        if items is None:
            pool = self._pool
            if pool is None:
                return None
            items = self._items = SerialQueue(pool, self._process, self._on_item_error)
        if not inline:
            items.submit(item, request)
        elif items.claim(item, request):
            return (request[0], items.run_claimed, (item, request))
        return None

    def _serve_plain_requests(self) -> None:
        # The Data side speaks ARI 1.9.1 only (Smart encoding): SUB and USB always qualify.
        self._conn.plain_methods = _PLAIN_METHODS

    def _default_exception_handling(self, exception: BaseException) -> None:
        super()._default_exception_handling(exception)
        self._send_failure(describe_exception(exception))

    # ------------------------------------------------------------------ SUB / USB

    def _process(self, item: str, request: _ItemRequest, more: bool) -> None:
        # The reader or a pool worker; the only thread busy with this item (ARI §6.3).
        method, request_id = request
        if method is _SUB:
            self._subscribe(item, request_id, more)
        else:
            self._unsubscribe(item, request_id)

    def _subscribe(self, item: str, request_id: str, more: bool) -> None:
        self._last_ok[item] = False
        if more:
            # A USB for the item is already waiting: skip the adapter and refuse, but
            # always answer (1.3.1 did not: bug B1).
            self._send_message(
                ErrorReply(
                    request_id,
                    Method.SUB,
                    ErrorInfo(ErrorKind.SUBSCRIPTION, LATE_SUBSCRIBE_MESSAGE),
                )
            )
            return
        replied = False
        # Events are accepted from now on, also from inside subscribe() (ARI §6.4).
        self._sub_ids[item] = request_id
        try:
            try:
                if self._adapter.issnapshot_available(item) is False:
                    # Before subscribe(), so that it precedes any real-time event (§5.7).
                    self._send_line(
                        encode_end_of_snapshot(
                            _timestamp(), item, request_id, self._version or LATEST
                        )
                    )
                self._adapter.subscribe(item)
            except Exception as exc:
                self._end_subscription(item, request_id)  # bug B15
                self._log_adapter_error("subscribe", item, request_id, exc)
                replied = True
                self._send_error_reply(request_id, Method.SUB, exc)
                return
            self._last_ok[item] = True
            replied = True
            self._send_line(encode_void_reply(request_id, _SUB))
        finally:
            if not replied:  # e.g. a BaseException from the adapter: still answer
                self._end_subscription(item, request_id)
                self._send_generic_error(request_id, Method.SUB, item)

    def _unsubscribe(self, item: str, request_id: str) -> None:
        last_ok = self._last_ok.pop(item, None)
        current = self._sub_ids.get(item)
        replied = False
        try:
            if last_ok is None:
                self._LOG.warning(
                    "Unsubscription of item %s (request %s) without a previous "
                    "subscription: answered without calling the adapter",
                    item,
                    request_id,
                )
            elif last_ok:
                try:
                    self._adapter.unsubscribe(item)
                except Exception as exc:
                    self._end_subscription(item, current)
                    self._log_adapter_error("unsubscribe", item, request_id, exc)
                    replied = True
                    self._send_error_reply(request_id, Method.USB, exc)
                    return
            self._end_subscription(item, current)
            replied = True
            self._send_line(encode_void_reply(request_id, _USB))
        finally:
            if not replied:
                self._end_subscription(item, current)
                self._send_generic_error(request_id, Method.USB, item)

    def _end_subscription(self, item: str, sub_id: str | None) -> None:
        # Under the writer's lock: an update() that already passed its check has its
        # line queued before the lock is released, hence before the reply that follows;
        # any later one finds no subscription (ARI §6.4, checklist 45).
        if sub_id is None:
            return
        transport = self._transport
        if transport is None:
            if self._sub_ids.get(item) is sub_id:
                del self._sub_ids[item]
            return
        with transport.lock:
            if self._sub_ids.get(item) is sub_id:
                del self._sub_ids[item]

    def _on_item_error(self, item: str, request: _ItemRequest, exc: BaseException) -> None:
        # Something escaped _process (the reply was already sent by its finally block).
        self._LOG.error(
            "Server %s: unexpected error processing %s request %s for item %s",
            self._name,
            request[0].value,
            request[1],
            item,
            exc_info=exc,
        )
        if isinstance(exc, Exception):
            self._report_exception(exc)

    def _send_generic_error(self, request_id: str, method: Method, item: str) -> None:
        message = f"Unexpected error processing the request for item {item}"
        self._send_message(ErrorReply(request_id, method, ErrorInfo(ErrorKind.GENERIC, message)))

    def _log_adapter_error(
        self, callback: str, item: str, request_id: str, exc: Exception
    ) -> None:
        method = "SUB" if callback == "subscribe" else "USB"
        if isinstance(exc, DataError):
            self._LOG.warning(
                "%s of item %s (request %s, %s) refused by the adapter: %s",
                callback,
                item,
                request_id,
                method,
                describe_exception(exc),
            )
        else:
            self._LOG.error(
                "%s of item %s (request %s, %s) failed in the adapter: %s",
                callback,
                item,
                request_id,
                method,
                describe_exception(exc),
                exc_info=exc,
            )

    # ------------------------------------------------------------------ helpers

    def _send_failure(self, message: str) -> None:
        if self._transport is None:
            self._LOG.warning("Data Adapter failure not sent (server not started): %s", message)
            return
        version = self._version
        if version is None:
            # Before the init reply the encoding is undefined: keep to the characters
            # that both encodings write alike (ARI-PROTOCOL.md §4.4).
            message = safe_before_init(message)
        self._send_line(encode_data_failure(_timestamp(), message, version or LATEST))

    def _drop(self, what: str, item: str) -> None:
        # Rate-limited: a misbehaving adapter must not flood the log (bug B18).
        now = time.monotonic()
        with self._drop_lock:
            if now < self._drop_next:
                self._drop_count += 1
                return
            suppressed = self._drop_count
            self._drop_count = 0
            self._drop_next = now + DROP_LOG_INTERVAL
        if suppressed:
            self._LOG.warning(
                "Unexpected %s for item_name %s: no active subscription, dropped (%d more "
                "events for unsubscribed items dropped in the last %g s)",
                what,
                item,
                suppressed,
                DROP_LOG_INTERVAL,
            )
        else:
            self._LOG.warning(
                "Unexpected %s for item_name %s: no active subscription, dropped",
                what,
                item,
            )


_time = time.time


def _event_argument(
    item_event: Mapping[str, Any] | None,
    issnapshot: bool | None,
    events_map: Mapping[str, Any] | None,
) -> Mapping[str, Any]:
    # The checks of update()'s arguments, off its hot path.
    if item_event is None:
        if events_map is None:
            raise TypeError("update() needs the event: pass item_event")
        item_event = events_map
    elif events_map is not None:
        raise TypeError("update() got both item_event and events_map: pass one")
    if issnapshot is None:
        raise TypeError("update() missing required argument: 'issnapshot'")
    return item_event


def _timestamp() -> str:
    # The first token of notifications: epoch milliseconds (ARI-PROTOCOL.md §2.3).
    return str(int(time.time() * 1000))


def _algorithms(
    item: str, algorithms_map: Mapping[str, Sequence[DiffAlgorithm | str] | None]
) -> dict[str, Sequence[DiffAlgorithm] | None]:
    result: dict[str, Sequence[DiffAlgorithm] | None] = {}
    for field, algorithms in algorithms_map.items():
        if algorithms is None:
            result[field] = None
            continue
        converted: list[DiffAlgorithm] = []
        for algorithm in algorithms:
            if isinstance(algorithm, DiffAlgorithm):
                converted.append(algorithm)
            elif isinstance(algorithm, str) and algorithm in _DIFF_NAMES:
                converted.append(_DIFF_NAMES[algorithm])
            else:
                raise LocalProtocolError(
                    f"Unknown diff algorithm {algorithm!r} for field {field!r} of item "
                    f"{item!r}: use a DiffAlgorithm member or one of {sorted(_DIFF_NAMES)}"
                )
        result[field] = converted
    return result
