"""The Metadata Adapter interface: authentication, item and field resolution, limits.

Subclass :class:`MetadataProvider` (every method has a working default), wrap the
instance in a :class:`lightstreamer_adapter.server.MetadataProviderServer` and start it.
For a configuration-driven adapter see
:class:`lightstreamer_adapter.metadata.LiteralBasedProvider`.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from collections.abc import Iterable, Sequence
from enum import Enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Only in annotations: concurrent.futures stays out of a Data Adapter process.
    from concurrent.futures import Future

__all__ = [
    "AccessError",
    "ConflictingSessionError",
    "CreditsError",
    "ItemsError",
    "MetadataControlListener",
    "MetadataError",
    "MetadataProvider",
    "MetadataProviderError",
    "Mode",
    "MpnDeviceInfo",
    "MpnPlatformType",
    "MpnSubscriptionInfo",
    "NotificationError",
    "ResourceUnavailableError",
    "SchemaError",
    "SubscriptionStatistics",
    "TableInfo",
]


class Mode(Enum):
    """A subscription mode; the value of each member is its letter on the wire."""

    RAW = "R"
    MERGE = "M"
    DISTINCT = "D"
    COMMAND = "C"

    def __str__(self) -> str:
        return self.name


class MpnPlatformType(Enum):
    """A Mobile Push Notification platform; the value is its letter on the wire."""

    APPLE = "A"
    GOOGLE = "G"

    def __str__(self) -> str:
        return self.name


class MetadataError(Exception):
    """Base class of the errors a Metadata Adapter raises to refuse a request."""

    def __init__(self, msg: str) -> None:
        super().__init__(msg)
        self._msg = msg

    @property
    def msg(self) -> str:
        """The error message, sent to the Server (and logged there)."""
        return self._msg

    def __str__(self) -> str:
        return str(self._msg)


class MetadataProviderError(MetadataError):
    """Raised by :meth:`MetadataProvider.initialize` when the adapter cannot start."""


class NotificationError(MetadataError):
    """Raised by a ``notify_*`` method to refuse the notified operation."""


class AccessError(MetadataError):
    """Raised by ``notify_user`` to refuse the user's credentials."""


class ResourceUnavailableError(AccessError):
    """Raised by ``notify_user`` when the check cannot be done now; clients may retry.

    Sent as such with ARI 1.9 (Server 7.3+); older Proxies receive an
    :class:`AccessError`.
    """


class ItemsError(MetadataError):
    """Raised by ``get_items`` (or ``get_schema``) for an unknown item group."""


class SchemaError(MetadataError):
    """Raised by ``get_schema`` for an unknown field schema."""


class CreditsError(MetadataError):
    """Raised to refuse a request for lack of credits; the client gets a code and message.

    Args:
        client_error_code: The code forwarded to the client: zero or negative.
        msg: The message for the Server's log.
        user_msg: An optional message forwarded to the client.
    """

    def __init__(self, client_error_code: int, msg: str, user_msg: str | None = None) -> None:
        super().__init__(msg)
        self._client_error_code = client_error_code
        self._client_user_msg = user_msg

    @property
    def client_error_code(self) -> int:
        """The error code forwarded to the client."""
        return self._client_error_code

    @property
    def client_user_msg(self) -> str | None:
        """The message forwarded to the client, or ``None``."""
        return self._client_user_msg


class ConflictingSessionError(CreditsError):
    """Raised by ``notify_new_session`` when the user already has a conflicting session.

    The Server may close the other session and retry the new one.

    Args:
        client_error_code: The code forwarded to the client: zero or negative.
        msg: The message for the Server's log.
        conflicting_session_id: The id of the session that should be closed.
        user_msg: An optional message forwarded to the client.
    """

    def __init__(
        self,
        client_error_code: int,
        msg: str,
        conflicting_session_id: str,
        user_msg: str | None = None,
    ) -> None:
        super().__init__(client_error_code, msg, user_msg)
        self._conflicting_session_id = conflicting_session_id

    @property
    def conflicting_session_id(self) -> str:
        """The id of the conflicting session."""
        return self._conflicting_session_id


class _ValueObject:
    """Equality, hashing and repr from the names in ``_fields``."""

    __slots__ = ()
    _fields: tuple[str, ...] = ()

    def _key(self) -> tuple[Any, ...]:
        return tuple(_freeze(getattr(self, "_" + name)) for name in self._fields)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, _ValueObject)
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._key()))

    def __repr__(self) -> str:
        args = ", ".join(f"{name}={getattr(self, '_' + name)!r}" for name in self._fields)
        return f"{type(self).__name__}({args})"


def _freeze(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


class MpnDeviceInfo(_ValueObject):
    """A device that receives Mobile Push Notifications."""

    __slots__ = ("_application_id", "_device_token", "_platform_type")
    _fields = ("platform_type", "application_id", "device_token")

    def __init__(
        self,
        platform_type: MpnPlatformType | str | None,
        application_id: str | None,
        device_token: str | None,
    ) -> None:
        self._platform_type = platform_type
        self._application_id = application_id
        self._device_token = device_token

    @property
    def mpn_platform_type(self) -> MpnPlatformType | str | None:
        """The platform; a plain string for a platform this SDK does not know."""
        return self._platform_type

    @property
    def application_id(self) -> str | None:
        """The id of the application (package name or bundle id)."""
        return self._application_id

    @property
    def device_token(self) -> str | None:
        """The token that identifies the device on its platform."""
        return self._device_token


class SubscriptionStatistics(_ValueObject):
    """Totals for one item over the whole life of a subscription (ARI 1.9).

    Args:
        tot_real_time: Real-time updates sent to the client (snapshot excluded).
        tot_lost: Updates lost because of buffer limits.
        tot_filtered: Updates filtered out (also by a selector).
    """

    __slots__ = ("_tot_filtered", "_tot_lost", "_tot_real_time")
    _fields = ("tot_real_time", "tot_lost", "tot_filtered")

    def __init__(self, tot_real_time: int, tot_lost: int, tot_filtered: int) -> None:
        self._tot_real_time = tot_real_time
        self._tot_lost = tot_lost
        self._tot_filtered = tot_filtered

    @property
    def tot_real_time(self) -> int:
        """Real-time updates sent, snapshot excluded."""
        return self._tot_real_time

    @property
    def tot_lost(self) -> int:
        """Updates lost because of buffer limits."""
        return self._tot_lost

    @property
    def tot_filtered(self) -> int:
        """Updates filtered out."""
        return self._tot_filtered


class TableInfo(_ValueObject):
    """A client subscription ("table") as notified by the Server.

    Args:
        win_index: Identifies the subscription within the session.
        mode: The subscription mode.
        group: The item group name, or the item list as sent by the client.
        schema: The field schema name, or the field list as sent by the client.
        first_idx: 1-based index of the first item of the group considered.
        last_idx: 1-based index of the last item of the group considered.
        selector: The selector name, or ``None``.
        data_adapter: The name of the Data Adapter (ARI 1.9).
        subscribed_items: The item names resolved from the group (ARI 1.9).
        subscription_statistics: Per-item totals, in ``notify_tables_close`` only and
            only when :meth:`MetadataProvider.wants_final_table_statistics` asked for
            them (ARI 1.9); otherwise ``None``.
    """

    __slots__ = (
        "_data_adapter",
        "_first_idx",
        "_group",
        "_last_idx",
        "_mode",
        "_schema",
        "_selector",
        "_subscribed_items",
        "_subscription_statistics",
        "_win_index",
    )
    _fields = (
        "win_index",
        "mode",
        "group",
        "schema",
        "first_idx",
        "last_idx",
        "selector",
        "data_adapter",
        "subscribed_items",
        "subscription_statistics",
    )

    def __init__(
        self,
        win_index: int,
        mode: Mode | None,
        group: str | None,
        schema: str | None,
        first_idx: int,
        last_idx: int,
        selector: str | None = None,
        data_adapter: str | None = None,
        subscribed_items: Sequence[str | None] | None = None,
        subscription_statistics: Sequence[SubscriptionStatistics] | None = None,
    ) -> None:
        self._win_index = win_index
        self._mode = mode
        self._group = group
        self._schema = schema
        self._first_idx = first_idx
        self._last_idx = last_idx
        self._selector = selector
        self._data_adapter = data_adapter
        self._subscribed_items = list(subscribed_items) if subscribed_items is not None else None
        self._subscription_statistics = (
            list(subscription_statistics) if subscription_statistics is not None else None
        )

    @property
    def win_index(self) -> int:
        """Identifies the subscription within the session (the key of ``FUS``)."""
        return self._win_index

    @property
    def mode(self) -> Mode | None:
        """The subscription mode."""
        return self._mode

    @property
    def group(self) -> str | None:
        """The item group name or item list."""
        return self._group

    @property
    def schema(self) -> str | None:
        """The field schema name or field list."""
        return self._schema

    @property
    def min(self) -> int:
        """1-based index of the first item of the group considered."""
        return self._first_idx

    @property
    def max(self) -> int:
        """1-based index of the last item of the group considered."""
        return self._last_idx

    @property
    def selector(self) -> str | None:
        """The selector name, or ``None``."""
        return self._selector

    @property
    def data_adapter(self) -> str | None:
        """The name of the Data Adapter of the subscription (ARI 1.9, else ``None``)."""
        return self._data_adapter

    @property
    def subscribed_items(self) -> list[str | None] | None:
        """The names of the subscribed items (ARI 1.9, else ``None``)."""
        return self._subscribed_items

    @property
    def subscription_statistics(self) -> list[SubscriptionStatistics] | None:
        """Per-item statistics, in the order of :attr:`subscribed_items`, or ``None``."""
        return self._subscription_statistics


class MpnSubscriptionInfo(_ValueObject):
    """A Mobile Push Notification subscription being activated."""

    __slots__ = ("_device", "_notification_format", "_trigger")
    _fields = ("device", "notification_format", "trigger")

    def __init__(
        self, device: MpnDeviceInfo, notification_format: str | None, trigger: str | None
    ) -> None:
        self._device = device
        self._notification_format = notification_format
        self._trigger = trigger

    @property
    def device(self) -> MpnDeviceInfo:
        """The target device."""
        return self._device

    @property
    def notification_format(self) -> str | None:
        """The JSON template of the notification."""
        return self._notification_format

    @property
    def trigger(self) -> str | None:
        """The trigger expression, or ``None``; treat it as untrusted code."""
        return self._trigger


class MetadataControlListener(metaclass=ABCMeta):
    """Lets a Metadata Adapter act on the Server (ARI 1.9, Server 7.3 and later).

    The server hands one to :meth:`MetadataProvider.set_listener`. The requests return
    :class:`concurrent.futures.Future` objects completed by the Server's answer; they
    fail with :class:`ConnectionError` when the connection ends first, and with
    :class:`RuntimeError` when the Proxy speaks an older protocol.
    """

    @abstractmethod
    def force_session_termination(
        self,
        session_id: str,
        cause_code: int | None = None,
        cause_message: str | None = None,
    ) -> Future[None]:
        """Ask the Server to close a session.

        Args:
            session_id: The session to close; an unknown session counts as success.
            cause_code: Zero or negative code forwarded to the client, or ``None``.
            cause_message: Message forwarded to the client, or ``None``.

        Returns:
            A future with result ``None`` when the Server has done it.
        """

    @abstractmethod
    def force_unsubscription(self, session_id: str, table_info: TableInfo) -> Future[bool]:
        """Ask the Server to remove a subscription ("table") of a session.

        Only works for tables for which
        :meth:`MetadataProvider.enable_table_unsubscription` returned ``True``.

        Returns:
            A future with result ``True`` when done (or the table is already gone),
            ``False`` when unsubscription was not enabled for the table.
        """

    @abstractmethod
    def failure(self, exception: BaseException) -> None:
        """Notify the Server that the Metadata Adapter cannot work any more."""


class MetadataProvider:
    """The interface of a Remote Metadata Adapter, with a permissive default for each method.

    Methods are called from a pool of threads. Requests about one session reach the
    adapter in the order the Server sent them; different sessions run in parallel.
    Raise the documented :class:`MetadataError` subclasses to refuse a request; any
    other exception is reported to the Server as a generic error.
    """

    def initialize(self, parameters: dict[str, str], config_file: str | None = None) -> None:
        """Initialise the adapter; called once, before any other request.

        Args:
            parameters: The parameters of the Proxy Metadata Adapter in
                ``adapters.xml`` (and reserved ones such as ``adapters_conf.id``),
                updated with the server's ``adapter_params``.
            config_file: The server's ``adapter_config``, if set.

        Raises:
            MetadataProviderError: The adapter cannot start.
        """

    def set_listener(self, listener: MetadataControlListener) -> None:
        """Receive the control listener; called after :meth:`initialize`, before any request."""

    def notify_user(
        self, user: str | None, password: str | None, http_headers: dict[str, str]
    ) -> None:
        """Check a user's credentials; raise :class:`AccessError` to refuse them.

        Raises:
            AccessError: Wrong credentials (:class:`ResourceUnavailableError`: retry later).
            CreditsError: The user may not open sessions now.
        """

    def notify_user_with_principal(
        self,
        user: str | None,
        password: str | None,
        http_headers: dict[str, str],
        client_principal: str | None = None,
    ) -> None:
        """Check credentials together with the client's TLS certificate principal.

        The default calls :meth:`notify_user`, ignoring the principal.
        """
        self.notify_user(user, password, http_headers)

    def get_items(self, user: str | None, session_id: str, group: str) -> Iterable[str | None]:
        """Resolve an item group into item names; the default splits it on spaces.

        Raises:
            ItemsError: Unknown group.
        """
        return group.split(" ")

    def get_schema(
        self, user: str | None, session_id: str, group: str, schema: str
    ) -> Iterable[str | None]:
        """Resolve a field schema into field names; the default splits it on spaces.

        Raises:
            ItemsError: Unknown group.
            SchemaError: Unknown schema.
        """
        return schema.split(" ")

    def get_allowed_max_bandwidth(self, user: str | None) -> float:
        """Return the user's bandwidth limit in kbit/s; ``0.0`` means unlimited."""
        return 0.0

    def get_allowed_max_item_frequency(self, user: str | None, item: str) -> float:
        """Return the user's update frequency limit for an item; ``0.0`` means unlimited."""
        return 0.0

    def get_allowed_buffer_size(self, user: str | None, item: str) -> int:
        """Return the user's buffer size for an item; ``0`` means unlimited."""
        return 0

    def ismode_allowed(self, user: str | None, item: str, mode: Mode) -> bool:
        """Tell whether the user may subscribe to an item in a mode."""
        return True

    def mode_may_be_allowed(self, item: str, mode: Mode) -> bool:
        """Tell whether an item may be subscribed in a mode by anybody."""
        return True

    def get_min_source_frequency(self, item: str) -> float:
        """Return the lowest update frequency the Data Adapter needs; ``0.0``: no filter."""
        return 0.0

    def get_distinct_snapshot_length(self, item: str) -> int:
        """Return how many events make the DISTINCT-mode snapshot of an item."""
        return 0

    def notify_user_message(self, user: str | None, session_id: str, message: str) -> None:
        """Handle a message sent by a client; the default refuses it.

        Raises:
            CreditsError: The message is refused (the default, code 0).
            NotificationError: The message cannot be handled.
        """
        raise CreditsError(0, "Unsupported function")

    def notify_new_session(
        self, user: str | None, session_id: str, client_context: dict[str, str | None]
    ) -> None:
        """Allow a new session; raise to refuse it.

        Raises:
            CreditsError: The session is refused.
            ConflictingSessionError: Another session of the user conflicts with it.
            NotificationError: The session cannot be handled.
        """

    def get_session_time_to_live(self, user: str | None, session_id: str) -> int:
        """Return a lifetime in seconds for a new session; ``0`` means unlimited (ARI 1.9).

        Called right after a successful :meth:`notify_new_session`.
        """
        return 0

    def notify_session_close(self, session_id: str) -> None:
        """Learn that a session has closed (possibly repeated, or for an unknown session).

        Raises:
            NotificationError: The notification cannot be handled.
        """

    def wants_tables_notification(self, user: str | None) -> bool:
        """Tell whether :meth:`notify_new_tables` and ``notify_tables_close`` are wanted."""
        return False

    def notify_new_tables(
        self, user: str | None, session_id: str, tables: list[TableInfo]
    ) -> None:
        """Allow new subscriptions of a session; raise to refuse them.

        Raises:
            CreditsError: The subscriptions are refused.
            NotificationError: The subscriptions cannot be handled.
        """

    def enable_table_unsubscription(self, session_id: str, tables: list[TableInfo]) -> bool:
        """Tell whether :meth:`MetadataControlListener.force_unsubscription` may be used.

        Asked after a successful :meth:`notify_new_tables` with one table (ARI 1.9).
        """
        return False

    def wants_final_table_statistics(self, session_id: str, tables: list[TableInfo]) -> bool:
        """Tell whether ``notify_tables_close`` should carry statistics (ARI 1.9)."""
        return False

    def notify_tables_close(self, session_id: str, tables: list[TableInfo]) -> None:
        """Learn that subscriptions notified by :meth:`notify_new_tables` have ended.

        Raises:
            NotificationError: The notification cannot be handled.
        """

    def notify_mpn_device_access(
        self, user: str | None, session_id: str, device: MpnDeviceInfo
    ) -> None:
        """Allow a user to use a push-notification device.

        Raises:
            CreditsError: Access refused.
            NotificationError: The request cannot be handled.
        """

    def notify_mpn_subscription_activation(
        self,
        user: str | None,
        session_id: str,
        table: TableInfo,
        mpn_subscription: MpnSubscriptionInfo,
    ) -> None:
        """Allow a push-notification subscription.

        Raises:
            CreditsError: Subscription refused.
            NotificationError: The request cannot be handled.
        """

    def notify_mpn_device_token_change(
        self,
        user: str | None,
        session_id: str,
        device: MpnDeviceInfo,
        new_device_token: str | None,
    ) -> None:
        """Allow a device's token to change.

        Raises:
            CreditsError: Change refused.
            NotificationError: The request cannot be handled.
        """
