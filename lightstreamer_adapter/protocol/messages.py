"""Typed ARI messages: one frozen dataclass per packet (ARI-PROTOCOL.md §5).

Messages are grouped by who sends them:

* :data:`ProxyMessage` — what the Proxy Adapter sends: the requests of the Data and
  Metadata sides, ``CLOSE``, ``KEEPALIVE`` and the Proxy's replies to the Remote's own
  requests (``FST``/``FUS``);
* :data:`RemoteMessage` — what the Remote Adapter (this SDK) sends: ``RAC``,
  ``KEEPALIVE``, replies, data notifications and the Metadata requests ``FST``/``FUS``.

Every request class names its wire method in :attr:`Method`; error replies carry the
method of the request they answer, so code outside the protocol core never spells a
wire verb.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from ..interfaces.data import DiffAlgorithm
from ..interfaces.metadata import Mode, MpnDeviceInfo, MpnSubscriptionInfo, TableInfo

if TYPE_CHECKING:
    from dataclasses import dataclass, field, fields
else:  # the same behaviour, without the memory of dataclasses: see _record.py
    from ._record import dataclass, field, fields

__all__ = [
    "SDK_NAME",
    "ClearSnapshot",
    "CloseNotice",
    "DataFailure",
    "DataInitRequest",
    "DeclareFieldDiffOrder",
    "EndOfSnapshot",
    "ErrorInfo",
    "ErrorKind",
    "ErrorReply",
    "ForceSessionTermination",
    "ForceSessionTerminationReply",
    "ForceUnsubscription",
    "ForceUnsubscriptionReply",
    "GetItemDataReply",
    "GetItemDataRequest",
    "GetItemsReply",
    "GetItemsRequest",
    "GetSchemaReply",
    "GetSchemaRequest",
    "GetUserItemDataReply",
    "GetUserItemDataRequest",
    "InitReply",
    "ItemData",
    "Keepalive",
    "MetadataFailure",
    "MetadataInitRequest",
    "Method",
    "MpnDeviceAccessRequest",
    "MpnDeviceTokenChangeRequest",
    "MpnSubscriptionActivationRequest",
    "NotifyNewSessionReply",
    "NotifyNewSessionRequest",
    "NotifyNewTablesReply",
    "NotifyNewTablesRequest",
    "NotifySessionCloseRequest",
    "NotifyTablesCloseRequest",
    "NotifyUserMessageRequest",
    "NotifyUserReply",
    "NotifyUserRequest",
    "NotifyUserWithPrincipalRequest",
    "ProxyMessage",
    "RemoteCredentials",
    "RemoteMessage",
    "Request",
    "SubscribeRequest",
    "UnsubscribeRequest",
    "Update",
    "VoidReply",
]

#: The SDK name sent in ``RAC`` (ARI-PROTOCOL.md §5.1).
SDK_NAME = "Python Adapter SDK"

_T = TypeVar("_T")


def _fast_new(cls: type[_T]) -> Callable[..., _T]:
    """Return a constructor of ``cls`` that takes every field positionally, for hot paths.

    The ``__init__`` of a frozen dataclass sets each field with ``object.__setattr__``
    (timeit: 280 ns for two fields, 490 ns for five); the ``__init__`` that
    ``_record.py`` compiles writes the instance ``__dict__`` (160 and 220 ns). This one
    writes it too, without the call of the class and the default handling (150 and
    200 ns), as ``pickle`` and ``copy`` do; the instance is the same in every respect
    (fields, equality, hash, repr, frozenness). It compiles a small function per class: a
    generic loop over the field names would cost more than the ``__init__`` it replaces.
    The caller passes every field, in order, with no checks.
    """
    names = [item.name for item in fields(cls)]  # type: ignore[arg-type]
    # The function's own names start with "_": no field name does, so none is shadowed.
    if any(name.startswith("_") for name in names):
        raise ValueError(f"{cls.__name__} has a private field")
    stores = "".join(f"\n    _attrs[{name!r}] = {name}" for name in names)
    source = (
        f"def new_{cls.__name__}({', '.join(names)}):\n"
        f"    _self = _new(_cls)\n    _attrs = _self.__dict__{stores}\n    return _self\n"
    )
    namespace: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    exec(source, namespace)  # names are the fields of our own classes: nothing from outside
    new: Callable[..., _T] = namespace[f"new_{cls.__name__}"]
    return new


class Method(Enum):
    """The wire methods (ARI-PROTOCOL.md §2.7)."""

    RAC = "RAC"
    KEEPALIVE = "KEEPALIVE"
    CLOSE = "CLOSE"
    FAL = "FAL"
    DPI = "DPI"
    SUB = "SUB"
    USB = "USB"
    UD3 = "UD3"
    EOS = "EOS"
    CLS = "CLS"
    DFD = "DFD"
    MPI = "MPI"
    NUS = "NUS"
    NUA = "NUA"
    GIS = "GIS"
    GSC = "GSC"
    GIT = "GIT"
    GUI = "GUI"
    NUM = "NUM"
    NNS = "NNS"
    NSC = "NSC"
    NNT = "NNT"
    NTC = "NTC"
    MDA = "MDA"
    MSA = "MSA"
    MDC = "MDC"
    FST = "FST"
    FUS = "FUS"


class ErrorKind(Enum):
    """The subtype of an error reply; the value is the letter after ``E`` (§3.10)."""

    GENERIC = ""
    DATA = "D"
    SUBSCRIPTION = "U"
    FAILURE = "F"
    METADATA = "M"
    ACCESS = "A"
    RESOURCE_UNAVAILABLE = "R"
    CREDITS = "C"
    CONFLICTING_SESSION = "X"
    ITEMS = "I"
    SCHEMA = "S"
    NOTIFICATION = "N"


@dataclass(frozen=True)
class ErrorInfo:
    """The content of an error reply or failure (ARI-PROTOCOL.md §3.10).

    ``client_code`` and ``client_message`` are used by :attr:`ErrorKind.CREDITS` and
    :attr:`ErrorKind.CONFLICTING_SESSION`; ``conflicting_session_id`` by the latter only.
    """

    kind: ErrorKind
    message: str | None
    client_code: int | None = None
    client_message: str | None = None
    conflicting_session_id: str | None = None


# --------------------------------------------------------------------------------------
# Proxy -> Remote


@dataclass(frozen=True)
class Keepalive:
    """``KEEPALIVE``: sent by the Remote when idle; ignored when received (§2.6)."""


@dataclass(frozen=True)
class CloseNotice:
    """``0|CLOSE|...``: the Proxy is closing the connection (§5.3)."""

    params: Mapping[str, str | None] = field(default_factory=dict)

    @property
    def reason(self) -> str | None:
        """The ``reason`` parameter, if any."""
        return self.params.get("reason")


@dataclass(frozen=True)
class Request:
    """Base of the requests; ``request_id`` is echoed byte for byte in the reply."""

    METHOD: ClassVar[Method]
    request_id: str


@dataclass(frozen=True)
class DataInitRequest(Request):
    """``DPI``: initialise the Data Adapter; ``params`` in wire order (§5.6)."""

    METHOD: ClassVar[Method] = Method.DPI
    params: Mapping[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class MetadataInitRequest(Request):
    """``MPI``: initialise the Metadata Adapter (§5.13)."""

    METHOD: ClassVar[Method] = Method.MPI
    params: Mapping[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class SubscribeRequest(Request):
    """``SUB``: subscribe an item (§5.7)."""

    METHOD: ClassVar[Method] = Method.SUB
    item: str


@dataclass(frozen=True)
class UnsubscribeRequest(Request):
    """``USB``: unsubscribe an item (§5.8)."""

    METHOD: ClassVar[Method] = Method.USB
    item: str


@dataclass(frozen=True)
class NotifyUserRequest(Request):
    """``NUS``: authenticate a user (§5.14)."""

    METHOD: ClassVar[Method] = Method.NUS
    user: str | None
    password: str | None
    headers: Mapping[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class NotifyUserWithPrincipalRequest(Request):
    """``NUA``: authenticate a user with a TLS client principal (§5.15)."""

    METHOD: ClassVar[Method] = Method.NUA
    user: str | None
    password: str | None
    client_principal: str | None
    headers: Mapping[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class GetItemsRequest(Request):
    """``GIS``: resolve an item group (§5.16); wire order is user, group, session."""

    METHOD: ClassVar[Method] = Method.GIS
    user: str | None
    group: str | None
    session_id: str | None


@dataclass(frozen=True)
class GetSchemaRequest(Request):
    """``GSC``: resolve a field schema (§5.17)."""

    METHOD: ClassVar[Method] = Method.GSC
    user: str | None
    group: str | None
    schema: str | None
    session_id: str | None


@dataclass(frozen=True)
class GetItemDataRequest(Request):
    """``GIT``: item properties for every user (§5.18)."""

    METHOD: ClassVar[Method] = Method.GIT
    items: tuple[str | None, ...] = ()


@dataclass(frozen=True)
class GetUserItemDataRequest(Request):
    """``GUI``: item properties for one user (§5.19)."""

    METHOD: ClassVar[Method] = Method.GUI
    user: str | None
    items: tuple[str | None, ...] = ()


@dataclass(frozen=True)
class NotifyUserMessageRequest(Request):
    """``NUM``: a message sent by a client (§5.20)."""

    METHOD: ClassVar[Method] = Method.NUM
    user: str | None
    session_id: str | None
    message: str | None


@dataclass(frozen=True)
class NotifyNewSessionRequest(Request):
    """``NNS``: a new session (§5.21)."""

    METHOD: ClassVar[Method] = Method.NNS
    user: str | None
    session_id: str | None
    context: Mapping[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class NotifySessionCloseRequest(Request):
    """``NSC``: a session has closed (§5.22)."""

    METHOD: ClassVar[Method] = Method.NSC
    session_id: str | None


@dataclass(frozen=True)
class NotifyNewTablesRequest(Request):
    """``NNT``: new subscriptions of a session (§5.23)."""

    METHOD: ClassVar[Method] = Method.NNT
    user: str | None
    session_id: str | None
    tables: tuple[TableInfo, ...] = ()


@dataclass(frozen=True)
class NotifyTablesCloseRequest(Request):
    """``NTC``: subscriptions of a session have ended (§5.24)."""

    METHOD: ClassVar[Method] = Method.NTC
    session_id: str | None
    tables: tuple[TableInfo, ...] = ()


@dataclass(frozen=True)
class MpnDeviceAccessRequest(Request):
    """``MDA``: a user wants to use a push-notification device (§5.25)."""

    METHOD: ClassVar[Method] = Method.MDA
    user: str | None
    session_id: str | None
    device: MpnDeviceInfo


@dataclass(frozen=True)
class MpnSubscriptionActivationRequest(Request):
    """``MSA``: a push-notification subscription is being activated (§5.26)."""

    METHOD: ClassVar[Method] = Method.MSA
    user: str | None
    session_id: str | None
    table: TableInfo
    subscription: MpnSubscriptionInfo


@dataclass(frozen=True)
class MpnDeviceTokenChangeRequest(Request):
    """``MDC``: a device's token changes (§5.27)."""

    METHOD: ClassVar[Method] = Method.MDC
    user: str | None
    session_id: str | None
    device: MpnDeviceInfo
    new_device_token: str | None


@dataclass(frozen=True)
class ForceSessionTerminationReply:
    """The Proxy's answer to our ``FST``; ``error`` is ``None`` on success (§5.28)."""

    request_id: str
    error: ErrorInfo | None = None


@dataclass(frozen=True)
class ForceUnsubscriptionReply:
    """The Proxy's answer to our ``FUS``: ``done`` on success, else ``error`` (§5.29)."""

    request_id: str
    done: bool | None = None
    error: ErrorInfo | None = None


ProxyMessage = (
    Keepalive
    | CloseNotice
    | DataInitRequest
    | MetadataInitRequest
    | SubscribeRequest
    | UnsubscribeRequest
    | NotifyUserRequest
    | NotifyUserWithPrincipalRequest
    | GetItemsRequest
    | GetSchemaRequest
    | GetItemDataRequest
    | GetUserItemDataRequest
    | NotifyUserMessageRequest
    | NotifyNewSessionRequest
    | NotifySessionCloseRequest
    | NotifyNewTablesRequest
    | NotifyTablesCloseRequest
    | MpnDeviceAccessRequest
    | MpnSubscriptionActivationRequest
    | MpnDeviceTokenChangeRequest
    | ForceSessionTerminationReply
    | ForceUnsubscriptionReply
)


# --------------------------------------------------------------------------------------
# Remote -> Proxy


@dataclass(frozen=True)
class RemoteCredentials:
    """``1|RAC|...``: the first packet on every connection (§5.1).

    ``params`` are the name/value pairs in wire order; build the standard form with
    :meth:`create`.
    """

    params: Mapping[str, str | None] = field(default_factory=dict)

    @classmethod
    def create(
        cls, user: str | None = None, password: str | None = None, sdk: str = SDK_NAME
    ) -> RemoteCredentials:
        """The recommended ``RAC``: user and password when set, close packet, SDK name."""
        params: dict[str, str | None] = {}
        if user is not None:
            params["user"] = user
        if password is not None:
            params["password"] = password
        params["enableClosePacket"] = "true"
        params["SDK"] = sdk
        return cls(params)

    @property
    def user(self) -> str | None:
        """The ``user`` parameter, if sent."""
        return self.params.get("user")

    @property
    def password(self) -> str | None:
        """The ``password`` parameter, if sent."""
        return self.params.get("password")


@dataclass(frozen=True)
class InitReply:
    """Success reply to ``DPI``/``MPI``: ``params`` (``ARI.version``), or ``V`` if empty."""

    request_id: str
    method: Method
    params: Mapping[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class VoidReply:
    """Success reply without result: ``<id>|<method>|V`` (SUB, USB, NUM, NSC, NTC, ...)."""

    request_id: str
    method: Method


@dataclass(frozen=True)
class ErrorReply:
    """Error reply to any request: ``<id>|<method>|E<kind>|<message>[|extras]``."""

    request_id: str
    method: Method
    error: ErrorInfo


@dataclass(frozen=True)
class NotifyUserReply:
    """Success reply to ``NUS``/``NUA`` (§5.14)."""

    request_id: str
    method: Method
    max_bandwidth: float
    wants_tables_notification: bool


@dataclass(frozen=True)
class GetItemsReply:
    """Success reply to ``GIS``: the item names (may be empty)."""

    request_id: str
    items: tuple[str | None, ...] = ()


@dataclass(frozen=True)
class GetSchemaReply:
    """Success reply to ``GSC``: the field names (may be empty)."""

    request_id: str
    fields: tuple[str | None, ...] = ()


@dataclass(frozen=True)
class ItemData:
    """One ``I|D|M`` triple of a ``GIT`` or ``GUI`` reply.

    For ``GIT``: distinct snapshot length, min source frequency, modes that may be
    allowed. For ``GUI``: allowed buffer size, allowed max frequency, allowed modes.
    """

    size: int
    frequency: float
    modes: tuple[Mode, ...]


@dataclass(frozen=True)
class GetItemDataReply:
    """Success reply to ``GIT``: one :class:`ItemData` per requested item."""

    request_id: str
    items: tuple[ItemData, ...] = ()


@dataclass(frozen=True)
class GetUserItemDataReply:
    """Success reply to ``GUI``: one :class:`ItemData` per requested item."""

    request_id: str
    items: tuple[ItemData, ...] = ()


@dataclass(frozen=True)
class NotifyNewSessionReply:
    """Success reply to ``NNS``: ``V`` when ``time_to_live`` is ``None``, else ``I|<s>``."""

    request_id: str
    time_to_live: int | None = None


@dataclass(frozen=True)
class NotifyNewTablesReply:
    """Success reply to ``NNT``: ``V`` when ``flags`` is ``None``, else ``B|<u>|B|<s>``.

    ``flags`` is (enable unsubscription, wants final statistics), ARI 1.9 only.
    """

    request_id: str
    flags: tuple[bool, bool] | None = None


@dataclass(frozen=True)
class Update:
    """``UD3``: an update (§5.9). Values are ``str``, ``None`` or (1.8 only) ``bytes``."""

    timestamp: str
    item: str
    subscription_id: str
    is_snapshot: bool
    values: Mapping[str, str | bytes | None] = field(default_factory=dict)


@dataclass(frozen=True)
class EndOfSnapshot:
    """``EOS``: end of snapshot (§5.10)."""

    timestamp: str
    item: str
    subscription_id: str


@dataclass(frozen=True)
class ClearSnapshot:
    """``CLS``: clear snapshot (§5.11)."""

    timestamp: str
    item: str
    subscription_id: str


@dataclass(frozen=True)
class DeclareFieldDiffOrder:
    """``DFD``: difference algorithms per field, ARI 1.9 only (§5.12)."""

    timestamp: str
    item: str
    subscription_id: str
    algorithms: Mapping[str, tuple[DiffAlgorithm, ...] | None] = field(default_factory=dict)


@dataclass(frozen=True)
class DataFailure:
    """``<ts>|FAL|E|<message>``: the Data Adapter failed (§5.4)."""

    timestamp: str
    message: str | None


@dataclass(frozen=True)
class MetadataFailure:
    """``2|FAL|E|<message>``: the Metadata Adapter failed, ARI 1.9 only (§5.5)."""

    message: str | None


@dataclass(frozen=True)
class ForceSessionTermination:
    """``FST``: ask the Proxy to close a session (§5.28).

    ``cause_code`` ``None`` sends the ``V`` form; otherwise code and message are sent.
    """

    request_id: str
    session_id: str
    cause_code: int | None = None
    cause_message: str | None = None


@dataclass(frozen=True)
class ForceUnsubscription:
    """``FUS``: ask the Proxy to remove a table of a session (§5.29)."""

    request_id: str
    session_id: str
    win_index: int


RemoteMessage = (
    RemoteCredentials
    | Keepalive
    | InitReply
    | VoidReply
    | ErrorReply
    | NotifyUserReply
    | GetItemsReply
    | GetSchemaReply
    | GetItemDataReply
    | GetUserItemDataReply
    | NotifyNewSessionReply
    | NotifyNewTablesReply
    | Update
    | EndOfSnapshot
    | ClearSnapshot
    | DeclareFieldDiffOrder
    | DataFailure
    | MetadataFailure
    | ForceSessionTermination
    | ForceUnsubscription
)
