"""A simulated Proxy Metadata Adapter: drive a Remote Metadata Adapter without a Server."""

from __future__ import annotations

import logging
import ssl
from collections.abc import Callable, Mapping, Sequence

from ..interfaces.metadata import MpnDeviceInfo, MpnSubscriptionInfo, TableInfo
from ..protocol.framing import DEFAULT_MAX_LINE_LENGTH
from ..protocol.messages import (
    ForceSessionTermination,
    ForceSessionTerminationReply,
    ForceUnsubscription,
    ForceUnsubscriptionReply,
    GetItemDataReply,
    GetItemDataRequest,
    GetItemsReply,
    GetItemsRequest,
    GetSchemaReply,
    GetSchemaRequest,
    GetUserItemDataReply,
    GetUserItemDataRequest,
    InitReply,
    Method,
    MpnDeviceAccessRequest,
    MpnDeviceTokenChangeRequest,
    MpnSubscriptionActivationRequest,
    NotifyNewSessionReply,
    NotifyNewSessionRequest,
    NotifyNewTablesReply,
    NotifyNewTablesRequest,
    NotifySessionCloseRequest,
    NotifyTablesCloseRequest,
    NotifyUserMessageRequest,
    NotifyUserReply,
    NotifyUserRequest,
    NotifyUserWithPrincipalRequest,
    VoidReply,
)
from ..protocol.versions import ProtocolVersion
from ._base import Credentials, ProxySimulator, Startable
from ._connection import ForceHandler, Reply, error_reply_for
from ._errors import AdapterError

__all__ = ["MetadataProxySimulator"]

_LOGGER = logging.getLogger("lightstreamer-adapter.testing")

#: Called with an ``FST`` of the adapter; return to accept it, raise AdapterError to refuse.
ForceSessionTerminationCallback = Callable[[ForceSessionTermination], None]
#: Called with an ``FUS`` of the adapter; return whether the table was (or is) removed.
ForceUnsubscriptionCallback = Callable[[ForceUnsubscription], bool]


def _accept_termination(request: ForceSessionTermination) -> None:
    """The default answer to ``FST``: done (``<rid>|FST|V``)."""


def _accept_unsubscription(request: ForceUnsubscription) -> bool:
    """The default answer to ``FUS``: done (``<rid>|FUS|B|1``)."""
    return True


def _session_reply(reply: Reply) -> NotifyNewSessionReply:
    # NNS|V and NNS|I|<ttl> are both success forms (ARI-PROTOCOL.md §5.21).
    if isinstance(reply, VoidReply):
        return NotifyNewSessionReply(reply.request_id)
    assert isinstance(reply, NotifyNewSessionReply)
    return reply


def _tables_reply(reply: Reply) -> NotifyNewTablesReply:
    # NNT|V and NNT|B|..|B|.. are both success forms (ARI-PROTOCOL.md §5.23).
    if isinstance(reply, VoidReply):
        return NotifyNewTablesReply(reply.request_id)
    assert isinstance(reply, NotifyNewTablesReply)
    return reply


class MetadataProxySimulator(ProxySimulator):
    """Plays the Proxy Metadata Adapter of a Lightstreamer Server (ARI 1.9.1).

    Start your :class:`~lightstreamer_adapter.server.MetadataProviderServer` against
    :attr:`address`, then :meth:`accept` and :meth:`init` (or :meth:`attach`), and call
    one method per Metadata request: each sends the request, waits for the reply and
    returns it decoded, or raises :class:`AdapterError` with the decoded error::

        with MetadataProxySimulator() as proxy:
            proxy.attach(MetadataProviderServer(MyMetadata(), proxy.address))
            assert proxy.notify_user("alice", "secret").max_bandwidth == 0.0
            with pytest.raises(AdapterError) as refused:
                proxy.notify_user("mallory", "guess")
            assert refused.value.kind is ErrorKind.ACCESS

    The adapter's own requests (``FST``, ``FUS``; ARI 1.9) are answered at once by
    :attr:`on_force_session_termination` and :attr:`on_force_unsubscription` (by
    default: success), recorded in :attr:`force_requests` and queued for
    :meth:`expect`. Its failures (``MetadataFailure``) are queued too.

    The callbacks run on the simulator's reader thread: they must not wait for the
    adapter (e.g. call a request method of the simulator), which would deadlock.

    Args:
        on_force_session_termination: Answers an ``FST``: return to accept, raise
            :class:`AdapterError` to refuse. ``None``: do not answer.
        on_force_unsubscription: Answers an ``FUS``: return ``True`` (done) or
            ``False`` (not enabled for the table), raise :class:`AdapterError` to
            refuse. ``None``: do not answer.
        host, port, ssl_context, credentials, timeout, strict, max_line_length: As
            for :class:`ProxySimulator`.
    """

    _DATA = False

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        ssl_context: ssl.SSLContext | None = None,
        credentials: Credentials | None = None,
        timeout: float = 5.0,
        strict: bool = True,
        max_line_length: int = DEFAULT_MAX_LINE_LENGTH,
        on_force_session_termination: ForceSessionTerminationCallback | None = (
            _accept_termination
        ),
        on_force_unsubscription: ForceUnsubscriptionCallback | None = _accept_unsubscription,
    ) -> None:
        #: Answers the adapter's ``FST`` requests (called on the reader thread).
        self.on_force_session_termination = on_force_session_termination
        #: Answers the adapter's ``FUS`` requests (called on the reader thread).
        self.on_force_unsubscription = on_force_unsubscription
        super().__init__(
            host,
            port,
            ssl_context=ssl_context,
            credentials=credentials,
            timeout=timeout,
            strict=strict,
            max_line_length=max_line_length,
        )

    @property
    def force_requests(self) -> list[ForceSessionTermination | ForceUnsubscription]:
        """Every ``FST``/``FUS`` request received on the current connection, in order."""
        conn = self._connection()
        with conn.cond:
            return list(conn.force_requests)

    # ----------------------------------------------------------------------------------
    # Init

    def init(
        self,
        params: Mapping[str, str | None] | None = None,
        version: str | ProtocolVersion | None = "1.9.1",
        keepalive_hint: int | str | None = None,
        adapter_set: str | None = "DEMO",
        *,
        timeout: float | None = None,
    ) -> InitReply:
        """Send ``MPI`` and wait for the reply (ARI-PROTOCOL.md §5.13).

        The version in the reply is then used to parse and encode everything else
        (ARI 1.8 answers switch the simulator to the 1.8 encodings and table layouts).

        Args:
            params: Extra parameters; they may also replace the reserved ones.
            version: The ``ARI.version`` offered (e.g. ``"1.8.3"`` for Server 7.2);
                ``None`` sends none (a 1.8.0 Proxy).
            keepalive_hint: The ``keepalive_hint.millis`` parameter, if given.
            adapter_set: The ``adapters_conf.id`` parameter (``None``: not sent).
            timeout: Seconds to wait (default: :attr:`timeout`).

        Raises:
            AdapterError: The adapter refused the initialisation.
        """
        return self._start_init(
            Method.MPI, params, version, keepalive_hint, adapter_set, None, timeout
        )

    def attach(
        self,
        server: Startable,
        *,
        params: Mapping[str, str | None] | None = None,
        version: str | ProtocolVersion | None = "1.9.1",
        keepalive_hint: int | str | None = None,
        adapter_set: str | None = "DEMO",
        timeout: float | None = None,
    ) -> InitReply:
        """Start a server, accept its connection and initialise it.

        The server is closed by :meth:`close` (and so at the end of a ``with`` block).
        """
        return self._attach(
            server,
            lambda: self.init(params, version, keepalive_hint, adapter_set, timeout=timeout),
            timeout,
        )

    # ----------------------------------------------------------------------------------
    # Requests

    def notify_user(
        self,
        user: str | None,
        password: str | None,
        headers: Mapping[str, str | None] | None = None,
        *,
        timeout: float | None = None,
    ) -> NotifyUserReply:
        """``NUS``: authenticate a user (ARI-PROTOCOL.md §5.14).

        Returns:
            ``.max_bandwidth`` and ``.wants_tables_notification``.

        Raises:
            AdapterError: ``ACCESS``, ``RESOURCE_UNAVAILABLE``, ``CREDITS`` or generic.
        """
        request = NotifyUserRequest(self.new_request_id(), user, password, dict(headers or {}))
        return self._request(request, NotifyUserReply, timeout)

    def notify_user_with_principal(
        self,
        user: str | None,
        password: str | None,
        client_principal: str | None,
        headers: Mapping[str, str | None] | None = None,
        *,
        timeout: float | None = None,
    ) -> NotifyUserReply:
        """``NUA``: authenticate a user with a TLS client principal (ARI-PROTOCOL.md §5.15)."""
        request = NotifyUserWithPrincipalRequest(
            self.new_request_id(), user, password, client_principal, dict(headers or {})
        )
        return self._request(request, NotifyUserReply, timeout)

    def get_items(
        self,
        user: str | None,
        group: str | None,
        session_id: str | None,
        *,
        timeout: float | None = None,
    ) -> GetItemsReply:
        """``GIS``: resolve an item group (ARI-PROTOCOL.md §5.16); ``.items`` are the names.

        Raises:
            AdapterError: ``ITEMS`` or generic.
        """
        request = GetItemsRequest(self.new_request_id(), user, group, session_id)
        return self._request(request, GetItemsReply, timeout)

    def get_schema(
        self,
        user: str | None,
        group: str | None,
        schema: str | None,
        session_id: str | None,
        *,
        timeout: float | None = None,
    ) -> GetSchemaReply:
        """``GSC``: resolve a field schema (ARI-PROTOCOL.md §5.17); ``.fields`` are the names.

        Raises:
            AdapterError: ``ITEMS``, ``SCHEMA`` or generic.
        """
        request = GetSchemaRequest(self.new_request_id(), user, group, schema, session_id)
        return self._request(request, GetSchemaReply, timeout)

    def get_item_data(
        self, items: Sequence[str | None], *, timeout: float | None = None
    ) -> GetItemDataReply:
        """``GIT``: item properties (ARI-PROTOCOL.md §5.18); one ``ItemData`` per item.

        Each ``ItemData`` has ``.size`` (distinct snapshot length), ``.frequency`` (min
        source frequency) and ``.modes`` (the modes that may be allowed).
        """
        request = GetItemDataRequest(self.new_request_id(), tuple(items))
        return self._request(request, GetItemDataReply, timeout)

    def get_user_item_data(
        self, user: str | None, items: Sequence[str | None], *, timeout: float | None = None
    ) -> GetUserItemDataReply:
        """``GUI``: per-user item properties (ARI-PROTOCOL.md §5.19).

        Each ``ItemData`` has ``.size`` (allowed buffer size), ``.frequency`` (allowed
        max frequency) and ``.modes`` (the allowed modes).
        """
        request = GetUserItemDataRequest(self.new_request_id(), user, tuple(items))
        return self._request(request, GetUserItemDataReply, timeout)

    def notify_user_message(
        self,
        user: str | None,
        session_id: str | None,
        message: str | None,
        *,
        timeout: float | None = None,
    ) -> VoidReply:
        """``NUM``: a message sent by a client (ARI-PROTOCOL.md §5.20).

        Raises:
            AdapterError: ``NOTIFICATION``, ``CREDITS`` or generic.
        """
        request = NotifyUserMessageRequest(self.new_request_id(), user, session_id, message)
        return self._request(request, VoidReply, timeout)

    def notify_new_session(
        self,
        user: str | None,
        session_id: str | None,
        context: Mapping[str, str | None] | None = None,
        *,
        timeout: float | None = None,
    ) -> NotifyNewSessionReply:
        """``NNS``: a new session (ARI-PROTOCOL.md §5.21).

        Returns:
            The reply; ``.time_to_live`` is ``None`` for the ``V`` form.

        Raises:
            AdapterError: ``NOTIFICATION``, ``CREDITS``, ``CONFLICTING_SESSION`` or
                generic.
        """
        request = NotifyNewSessionRequest(
            self.new_request_id(), user, session_id, dict(context or {})
        )
        return self._request_with(request, _session_reply, timeout)

    def notify_session_close(
        self, session_id: str | None, *, timeout: float | None = None
    ) -> VoidReply:
        """``NSC``: a session has closed (ARI-PROTOCOL.md §5.22).

        Raises:
            AdapterError: ``NOTIFICATION`` or generic.
        """
        request = NotifySessionCloseRequest(self.new_request_id(), session_id)
        return self._request(request, VoidReply, timeout)

    def notify_new_tables(
        self,
        user: str | None,
        session_id: str | None,
        tables: Sequence[TableInfo],
        *,
        timeout: float | None = None,
    ) -> NotifyNewTablesReply:
        """``NNT``: new subscriptions of a session (ARI-PROTOCOL.md §5.23).

        With ARI 1.9 give each ``TableInfo`` its ``data_adapter`` and
        ``subscribed_items``; with 1.8 they are not sent.

        Returns:
            The reply; ``.flags`` is ``None`` for the ``V`` form, else (enable
            unsubscription, wants final statistics).

        Raises:
            AdapterError: ``NOTIFICATION``, ``CREDITS`` or generic.
        """
        request = NotifyNewTablesRequest(self.new_request_id(), user, session_id, tuple(tables))
        return self._request_with(request, _tables_reply, timeout)

    def notify_tables_close(
        self,
        session_id: str | None,
        tables: Sequence[TableInfo],
        *,
        timeout: float | None = None,
    ) -> VoidReply:
        """``NTC``: subscriptions of a session have ended (ARI-PROTOCOL.md §5.24).

        Raises:
            AdapterError: ``NOTIFICATION`` or generic.
        """
        request = NotifyTablesCloseRequest(self.new_request_id(), session_id, tuple(tables))
        return self._request(request, VoidReply, timeout)

    def notify_mpn_device_access(
        self,
        user: str | None,
        session_id: str | None,
        device: MpnDeviceInfo,
        *,
        timeout: float | None = None,
    ) -> VoidReply:
        """``MDA``: a user wants to use a push-notification device (ARI-PROTOCOL.md §5.25).

        Raises:
            AdapterError: ``NOTIFICATION``, ``CREDITS`` or generic.
        """
        request = MpnDeviceAccessRequest(self.new_request_id(), user, session_id, device)
        return self._request(request, VoidReply, timeout)

    def notify_mpn_subscription_activation(
        self,
        user: str | None,
        session_id: str | None,
        table: TableInfo,
        subscription: MpnSubscriptionInfo,
        *,
        timeout: float | None = None,
    ) -> VoidReply:
        """``MSA``: a push-notification subscription is activated (ARI-PROTOCOL.md §5.26).

        Raises:
            AdapterError: ``NOTIFICATION``, ``CREDITS`` or generic.
        """
        request = MpnSubscriptionActivationRequest(
            self.new_request_id(), user, session_id, table, subscription
        )
        return self._request(request, VoidReply, timeout)

    def notify_mpn_device_token_change(
        self,
        user: str | None,
        session_id: str | None,
        device: MpnDeviceInfo,
        new_device_token: str | None,
        *,
        timeout: float | None = None,
    ) -> VoidReply:
        """``MDC``: a device's token changes (ARI-PROTOCOL.md §5.27).

        Raises:
            AdapterError: ``NOTIFICATION``, ``CREDITS`` or generic.
        """
        request = MpnDeviceTokenChangeRequest(
            self.new_request_id(), user, session_id, device, new_device_token
        )
        return self._request(request, VoidReply, timeout)

    # ----------------------------------------------------------------------------------
    # The adapter's requests

    def _force_handler(self) -> ForceHandler | None:
        return self._answer_force

    def _answer_force(
        self, request: ForceSessionTermination | ForceUnsubscription
    ) -> ForceSessionTerminationReply | ForceUnsubscriptionReply | None:
        """Compute the Proxy's answer to an ``FST``/``FUS`` (runs on the reader thread)."""
        if isinstance(request, ForceSessionTermination):
            on_fst = self.on_force_session_termination
            if on_fst is None:
                return None
            try:
                on_fst(request)
            except AdapterError as exc:
                return ForceSessionTerminationReply(request.request_id, exc.error)
            except Exception as exc:
                _LOGGER.exception("on_force_session_termination raised")
                return ForceSessionTerminationReply(request.request_id, error_reply_for(exc))
            return ForceSessionTerminationReply(request.request_id)
        on_fus = self.on_force_unsubscription
        if on_fus is None:
            return None
        try:
            done = on_fus(request)
        except AdapterError as exc:
            return ForceUnsubscriptionReply(request.request_id, error=exc.error)
        except Exception as exc:
            _LOGGER.exception("on_force_unsubscription raised")
            return ForceUnsubscriptionReply(request.request_id, error=error_reply_for(exc))
        return ForceUnsubscriptionReply(request.request_id, done=bool(done))
