"""The Data Adapter interface: what you implement to feed items with real-time data.

Subclass :class:`DataProvider`, wrap the instance in a
:class:`lightstreamer_adapter.server.DataProviderServer` and start it. The server hands
your adapter an :class:`ItemEventListener` through :meth:`DataProvider.set_listener`;
call its methods from any thread to send updates for the items the Server subscribed.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Any

__all__ = [
    "ADD_COMMAND",
    "COMMAND_FIELD",
    "DELETE_COMMAND",
    "KEY_FIELD",
    "UPDATE_COMMAND",
    "DataError",
    "DataProvider",
    "DataProviderError",
    "DiffAlgorithm",
    "FailureError",
    "ItemEventListener",
    "SubscribeError",
]

#: Name of the field that carries the key of a row in COMMAND mode.
KEY_FIELD = "key"
#: Name of the field that carries the command of a row in COMMAND mode.
COMMAND_FIELD = "command"
#: COMMAND mode: add a row.
ADD_COMMAND = "ADD"
#: COMMAND mode: update a row.
UPDATE_COMMAND = "UPDATE"
#: COMMAND mode: delete a row.
DELETE_COMMAND = "DELETE"

#: A field value accepted by :meth:`ItemEventListener.update`. ``None`` means null;
#: ``bytes`` are deprecated but supported; numbers are sent as their ``str()`` form.
FieldValue = str | bytes | int | float | None


class DiffAlgorithm(Enum):
    """A difference algorithm the Server may use to send a field's updates as deltas.

    The value of each member is its letter on the wire (ARI-PROTOCOL.md §3.7).
    """

    #: JSON Patch (RFC 6902); the field values must be valid JSON.
    JSONPATCH = "J"
    #: Google's diff-match-patch, sent in the TLCP-diff format.
    DIFF_MATCH_PATCH = "M"


class DataError(Exception):
    """Base class of the errors a Data Adapter raises to refuse a request."""

    def __init__(self, msg: str) -> None:
        super().__init__(msg)
        self._msg = msg

    @property
    def msg(self) -> str:
        """The error message, sent to the Server."""
        return self._msg

    def __str__(self) -> str:
        return str(self._msg)


class DataProviderError(DataError):
    """Raised by :meth:`DataProvider.initialize` when the adapter cannot start.

    The Server refuses the Data Adapter (the init reply is an ``ED`` error).
    """


class SubscribeError(DataError):
    """Raised by :meth:`DataProvider.subscribe` or ``unsubscribe`` to refuse the request.

    The subscription (or unsubscription) fails; the adapter as a whole stays healthy.
    """


class FailureError(DataError):
    """Raised by :meth:`DataProvider.subscribe` or ``unsubscribe`` on a severe failure.

    The Server treats it as a failure of the Data Adapter for that item.
    """


class ItemEventListener(metaclass=ABCMeta):
    """Receives the events of a Data Adapter; the server passes one to ``set_listener``.

    Every method is non-blocking and thread-safe: call it from any thread, also while
    holding your own locks. Events for an item are accepted from the moment
    :meth:`DataProvider.subscribe` is invoked for it until ``unsubscribe`` returns;
    events outside that window are dropped with a (rate-limited) warning.
    """

    @abstractmethod
    def update(self, item_name: str, item_event: Mapping[str, Any], issnapshot: bool) -> None:
        """Send an update for a subscribed item.

        Args:
            item_name: The item, as received in :meth:`DataProvider.subscribe`.
            item_event: Field names mapped to values, sent in iteration order. A value
                may be a ``str``, ``None`` (null), ``bytes`` (deprecated: decoded as
                ISO-8859-1 on ARI 1.9) or a number (``int``, ``float`` or ``bool``, sent
                as its ``str()`` form, e.g. ``"1.5"`` or ``"True"``). A field left out
                of the mapping is "unchanged" in MERGE mode. In COMMAND mode the
                ``key`` and ``command`` fields must be strings.
            issnapshot: Whether the event belongs to the item's snapshot.
        """

    @abstractmethod
    def end_of_snapshot(self, item_name: str) -> None:
        """Declare that the snapshot of a subscribed item is complete.

        Call it after the snapshot events, only for items whose
        :meth:`DataProvider.issnapshot_available` returned ``True``.
        """

    @abstractmethod
    def clear_snapshot(self, item_name: str) -> None:
        """Ask the Server to clear the current state (snapshot) of a subscribed item.

        In MERGE mode every field becomes null, in COMMAND mode every row is deleted,
        in DISTINCT mode clients are told to clear their list.
        """

    def declare_field_diff_order(
        self,
        item_name: str,
        algorithms_map: Mapping[str, Sequence[DiffAlgorithm | str] | None],
    ) -> None:
        """Tell the Server which difference algorithms it may use for some fields.

        Call it for a subscribed item, before the first update that carries those
        fields. Requires ARI 1.9 (Lightstreamer Server 7.3 or later); on older Proxies
        the declaration is dropped with a warning.

        Args:
            item_name: The item, as received in :meth:`DataProvider.subscribe`.
            algorithms_map: Field names mapped to the algorithms to try, in order of
                preference: :class:`DiffAlgorithm` members or their names
                (``"JSONPATCH"``, ``"DIFF_MATCH_PATCH"``). ``None`` means "no
                information" (the Server decides); an empty sequence forbids deltas.
        """

    def failure(self, exception: BaseException) -> None:
        """Notify the Server that the Data Adapter cannot work any more.

        The Server treats the adapter as failed. The message of ``exception`` is sent.
        """


class DataProvider(metaclass=ABCMeta):
    """The interface of a Remote Data Adapter; subclass it and implement every method.

    The methods are called by :class:`~lightstreamer_adapter.server.DataProviderServer`:
    ``initialize`` and ``set_listener`` once, at start-up; ``issnapshot_available``,
    ``subscribe`` and ``unsubscribe`` from a pool of threads, one call at a time for the
    same item (different items may run in parallel).
    """

    @abstractmethod
    def initialize(self, parameters: dict[str, str], config_file: str | None = None) -> None:
        """Initialise the adapter before any subscription.

        Args:
            parameters: The parameters of the Proxy Data Adapter in ``adapters.xml``
                (and its reserved ones, such as ``adapters_conf.id`` and
                ``data_provider.name``), updated with the server's ``adapter_params``.
            config_file: The server's ``adapter_config``, if set.

        Raises:
            DataProviderError: The adapter cannot start; the Server is told so.
        """

    @abstractmethod
    def set_listener(self, event_listener: ItemEventListener) -> None:
        """Receive the listener for the adapter's events.

        Called once, after :meth:`initialize` and before any subscription.
        """

    @abstractmethod
    def subscribe(self, item_name: str) -> None:
        """Start sending events for an item.

        May block; events sent from inside this method (for instance the snapshot) are
        already accepted.

        Raises:
            SubscribeError: The item cannot be subscribed.
            FailureError: A severe problem occurred.
        """

    @abstractmethod
    def unsubscribe(self, item_name: str) -> None:
        """Stop sending events for an item.

        Events sent after this method returns are dropped.

        Raises:
            SubscribeError: The unsubscription failed.
            FailureError: A severe problem occurred.
        """

    @abstractmethod
    def issnapshot_available(self, item_name: str) -> bool:
        """Tell whether the adapter sends a snapshot for the item.

        Called before :meth:`subscribe`. When it returns ``False`` the server itself
        declares an empty snapshot (end of snapshot) before calling ``subscribe``.
        """
