"""A simulated Proxy Data Adapter: drive a Remote Data Adapter without a Server."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from ..protocol.messages import (
    InitReply,
    Method,
    SubscribeRequest,
    UnsubscribeRequest,
    Update,
    VoidReply,
)
from ..protocol.versions import ProtocolVersion
from ._base import PendingReply, ProxySimulator, Startable, expect_type

__all__ = ["DataProxySimulator"]


class DataProxySimulator(ProxySimulator):
    """Plays the Proxy Data Adapter of a Lightstreamer Server (ARI 1.9.1, single connection).

    Start your :class:`~lightstreamer_adapter.server.DataProviderServer` against
    :attr:`address`, then :meth:`accept` the connection, :meth:`init` it and
    :meth:`subscribe` items; take the updates with :meth:`next_update` and the other
    notifications (``EndOfSnapshot``, ``ClearSnapshot``, ``DeclareFieldDiffOrder``,
    ``DataFailure``, ``Keepalive``) with :meth:`expect`. :meth:`attach` does the first
    three steps at once::

        from lightstreamer_adapter.server import DataProviderServer
        from lightstreamer_adapter.testing import DataProxySimulator

        def test_quotes():
            with DataProxySimulator() as proxy:
                proxy.attach(DataProviderServer(QuoteAdapter(), proxy.address))
                proxy.subscribe("item1")
                update = proxy.next_update()
                assert update.is_snapshot
                assert update.values["last_price"] == "12.3"

    See :class:`ProxySimulator` for the constructor options and the methods shared with
    :class:`MetadataProxySimulator`.
    """

    def init(
        self,
        params: Mapping[str, str | None] | None = None,
        version: str | ProtocolVersion | None = "1.9.1",
        keepalive_hint: int | str | None = None,
        adapter_set: str | None = "DEMO",
        data_adapter_name: str | None = "DEFAULT",
        *,
        timeout: float | None = None,
    ) -> InitReply:
        """Send ``DPI`` and wait for the reply (ARI-PROTOCOL.md §5.6).

        The version in the reply is then used to parse and encode everything else.

        Args:
            params: Extra parameters (e.g. ``{"remote:feed_url": "..."}``); they may
                also replace the reserved ones below.
            version: The ``ARI.version`` offered; ``None`` sends none (a 1.8.0 Proxy).
            keepalive_hint: The ``keepalive_hint.millis`` parameter, if given.
            adapter_set: The ``adapters_conf.id`` parameter (``None``: not sent).
            data_adapter_name: The ``data_provider.name`` parameter (``None``: not sent).
            timeout: Seconds to wait (default: :attr:`timeout`).

        Returns:
            The decoded reply; ``reply.params["ARI.version"]`` is the agreed version.

        Raises:
            AdapterError: The adapter refused the initialisation.
        """
        return self._start_init(
            Method.DPI,
            params,
            version,
            keepalive_hint,
            adapter_set,
            data_adapter_name,
            timeout,
        )

    def attach(
        self,
        server: Startable,
        *,
        params: Mapping[str, str | None] | None = None,
        version: str | ProtocolVersion | None = "1.9.1",
        keepalive_hint: int | str | None = None,
        adapter_set: str | None = "DEMO",
        data_adapter_name: str | None = "DEFAULT",
        timeout: float | None = None,
    ) -> InitReply:
        """Start a server, accept its connection and initialise it.

        The server is closed by :meth:`close` (and so at the end of a ``with`` block).

        Args:
            server: A server created with this simulator's :attr:`address` (anything
                with ``start()`` and ``close()``).
            params, version, keepalive_hint, adapter_set, data_adapter_name: As for
                :meth:`init`.
            timeout: Seconds to wait for the connection and for the init reply.
        """
        return self._attach(
            server,
            lambda: self.init(
                params,
                version,
                keepalive_hint,
                adapter_set,
                data_adapter_name,
                timeout=timeout,
            ),
            timeout,
        )

    def send_subscribe(self, item: str) -> PendingReply[VoidReply]:
        """Send ``SUB`` for an item without waiting for the reply (ARI-PROTOCOL.md §5.7)."""
        conn = self._connection()
        pending = self._send_request(conn, SubscribeRequest(self.new_request_id(), item))
        return PendingReply(self, conn, pending, expect_type(VoidReply))

    def send_unsubscribe(self, item: str) -> PendingReply[VoidReply]:
        """Send ``USB`` for an item without waiting for the reply (ARI-PROTOCOL.md §5.8)."""
        conn = self._connection()
        pending = self._send_request(conn, UnsubscribeRequest(self.new_request_id(), item))
        return PendingReply(self, conn, pending, expect_type(VoidReply))

    def subscribe(self, item: str, timeout: float | None = None) -> VoidReply:
        """Subscribe an item and wait for the reply.

        Notifications sent before the reply (the snapshot, an ``EndOfSnapshot``) stay
        queued for :meth:`next_update` and :meth:`expect`.

        Raises:
            AdapterError: The adapter refused (``kind`` ``SUBSCRIPTION`` for
                ``SubscribeError``, ``FAILURE`` for ``FailureError``).
        """
        return self.send_subscribe(item).result(timeout)

    def unsubscribe(self, item: str, timeout: float | None = None) -> VoidReply:
        """Unsubscribe an item and wait for the reply.

        Raises:
            AdapterError: The adapter refused.
        """
        return self.send_unsubscribe(item).result(timeout)

    def next_update(self, timeout: float | None = None, *, item: str | None = None) -> Update:
        """Take the oldest update received (of an item, if given).

        Returns:
            The decoded update: ``.item``, ``.values`` (a dict of field names to
            ``str``, ``None`` or, with ARI 1.8, ``bytes``), ``.is_snapshot``.
        """
        return self.expect(Update, timeout, item=item)

    def updates(
        self, timeout: float | None = None, *, item: str | None = None
    ) -> Iterator[Update]:
        """Iterate over the updates as they arrive; each wait raises TimeoutError.

        Stop with ``break`` or take a fixed number, e.g.
        ``list(itertools.islice(proxy.updates(), 3))``.
        """
        while True:
            yield self.next_update(timeout, item=item)

    def item_state(self, item: str) -> dict[str, str | bytes | None]:
        """The current values of an item's fields, merging every update received.

        The state starts empty at each new subscription and a clear-snapshot sets every
        field to ``None`` (MERGE-mode semantics); updates are merged whether or not they
        were taken with :meth:`next_update`.
        """
        conn = self._connection()
        with conn.cond:
            state = conn.item_states.get(item)
            return {} if state is None else dict(state[1])
