"""Version negotiation and keepalive policy: pure decisions taken at init time.

:func:`negotiate_version` answers the ``ARI.version`` proposed in ``MPI``/``DPI``
(ARI-PROTOCOL.md §4.3, §4.5); :func:`choose_keepalive` and :func:`initial_keepalive`
pick the interval of outbound ``KEEPALIVE`` packets (ARI-PROTOCOL.md §7). Intervals are
in seconds; ``None`` means keepalives are disabled.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

from .errors import RemoteProtocolError
from .fields import decode_double
from .versions import V1_8_0, V1_8_2, V1_8_3, V1_9_0, V1_9_1, ProtocolVersion

if TYPE_CHECKING:
    from dataclasses import dataclass
else:  # the same behaviour, without the memory of dataclasses: see _record.py
    from ._record import dataclass

__all__ = [
    "DEFAULT_KEEPALIVE",
    "MIN_KEEPALIVE",
    "STRICT_KEEPALIVE",
    "KeepaliveDecision",
    "Negotiated",
    "Refused",
    "Side",
    "choose_keepalive",
    "initial_keepalive",
    "negotiate_version",
]


class Side(Enum):
    """Which adapter a connection serves."""

    #: A Data Adapter connection (``DPI``).
    DATA = "data"
    #: A Metadata Adapter connection (``MPI``).
    METADATA = "metadata"


@dataclass(frozen=True)
class Negotiated:
    """The init request is accepted at this version.

    Attributes:
        version: The version to answer and speak from now on; ``V1_8_0`` means the init
            reply is a bare ``V`` (a 1.8.0 Proxy sends no ``ARI.version``).
    """

    version: ProtocolVersion


@dataclass(frozen=True)
class Refused:
    """The init request must be refused with an error reply.

    Attributes:
        message: An English explanation for the Proxy (and the log).
    """

    message: str


# Highest first: the answer is the highest version we speak that the Proxy also speaks
# (ARI-PROTOCOL.md §4.3 "Recommended for this SDK"). 1.8.0 and 1.8.1 are absent: a real
# 1.8.0 Proxy sends no version at all, and 1.8.1 was never published.
_METADATA_VERSIONS = (V1_9_1, V1_9_0, V1_8_3, V1_8_2)
_DATA_VERSIONS = (V1_9_1,)

_DATA_NEEDS = (
    "this SDK needs Lightstreamer Server 7.4 or later for Data Adapters (single connection)"
)
_METADATA_NEEDS = (
    "this SDK needs Lightstreamer Server 7.1 or later (ARI 1.8.2 or later), or a "
    "Proxy Adapter that sends no version (Server 7.0), for Metadata Adapters"
)
_MAX_SHOWN = 40


def negotiate_version(offered: str | None, side: Side) -> Negotiated | Refused:
    """Choose the protocol version to answer to an init request (ARI-PROTOCOL.md §4.3).

    Versions are compared numerically, component by component. Metadata: no version
    means a 1.8.0 Proxy, accepted; 1.8.0 and 1.8.1 are refused; otherwise the answer is
    the highest of 1.8.2, 1.8.3, 1.9.0 and 1.9.1 not above the offer. Data (single
    connection only): 1.9.1 for an offer of 1.9.1 or higher, else refused.

    Args:
        offered: The ``ARI.version`` parameter of ``MPI``/``DPI``, or ``None`` if absent.
        side: Which adapter the connection serves.

    Returns:
        :class:`Negotiated` with the version to answer, or :class:`Refused` with the
        message of the error reply.
    """
    if offered is None:
        if side is Side.METADATA:
            return Negotiated(V1_8_0)
        return Refused(
            f"Unsupported Proxy Adapter version 1.8.0 (no ARI.version received): {_DATA_NEEDS}"
        )
    try:
        version = ProtocolVersion.parse(offered)
    except ValueError:
        shown = offered if len(offered) <= _MAX_SHOWN else offered[:_MAX_SHOWN] + "..."
        return Refused(f"Unparseable ARI.version {shown!r} received from the Proxy Adapter")
    supported = _METADATA_VERSIONS if side is Side.METADATA else _DATA_VERSIONS
    for candidate in supported:
        if candidate <= version:
            return Negotiated(candidate)
    if side is Side.DATA:
        return Refused(f"Unsupported Proxy Adapter version {offered}: {_DATA_NEEDS}")
    if version == V1_8_0:
        # A real 1.8.0 Proxy never sends the parameter (ARI-PROTOCOL.md §4.3).
        return Refused(
            f"Unexpected protocol version {offered}: a 1.8.0 Proxy Adapter sends no "
            f"ARI.version; {_METADATA_NEEDS}"
        )
    return Refused(f"Unsupported Proxy Adapter version {offered}: {_METADATA_NEEDS}")


#: Keepalive interval, in seconds, when nothing stricter is configured or requested.
DEFAULT_KEEPALIVE = 10.0
#: Keepalive interval, in seconds, for a 1.8.0 Proxy that gives no information at all.
STRICT_KEEPALIVE = 1.0
#: Floor, in seconds, applied to the Proxy's keepalive hint.
MIN_KEEPALIVE = 1.0


@dataclass(frozen=True)
class KeepaliveDecision:
    """The keepalive interval chosen at init time.

    Attributes:
        interval: Seconds of write silence after which ``KEEPALIVE`` is sent; ``None``
            means keepalives are disabled.
        warning: A message to log at WARNING level, or ``None``.
    """

    interval: float | None
    warning: str | None = None


def _parse_hint(hint: str) -> float | None:
    try:
        return decode_double(hint) / 1000.0
    except RemoteProtocolError:
        return None


def choose_keepalive(
    configured: float | None, hint: str | None, version_offered: bool
) -> KeepaliveDecision:
    """Choose the keepalive interval when the init request arrives (ARI-PROTOCOL.md §7).

    The rules, with ``hint`` in seconds:

    * nothing configured: no hint gives DEFAULT when a version was offered and STRICT
      when none was (1.8.0 Proxy); a hint <= 0 gives DEFAULT; a hint > 0 gives
      ``max(hint, MIN)`` if ``hint < DEFAULT``, else DEFAULT;
    * configured > 0: the configured interval, unless a hint > 0 is stricter, which
      gives ``max(hint, MIN)``;
    * configured <= 0 (disabled): disabled, unless a hint > 0 forces them on at
      ``max(hint, MIN)``, with a warning.

    Args:
        configured: The application's setting in seconds: ``None`` if unset, a positive
            interval, or zero or less to disable keepalives.
        hint: The raw ``keepalive_hint.millis`` parameter, or ``None`` if absent. A
            non-numeric hint is treated as absent, with a warning.
        version_offered: Whether the init request carried ``ARI.version`` (absent means a
            1.8.0 Proxy, which gives no keepalive information at all).

    Returns:
        The interval, and a warning to log when the hint was raised to the minimum, when
        keepalives disabled by configuration are forced on, or when the hint is
        non-numeric.
    """
    warnings: list[str] = []
    hint_seconds: float | None = None
    if hint is not None:
        hint_seconds = _parse_hint(hint)
        if hint_seconds is None:
            shown = hint if len(hint) <= _MAX_SHOWN else hint[:_MAX_SHOWN] + "..."
            warnings.append(f"Ignoring the non-numeric keepalive_hint.millis {shown!r}")

    interval: float | None
    if hint_seconds is None or hint_seconds <= 0:
        if configured is None:
            if hint_seconds is None and not version_offered:
                interval = STRICT_KEEPALIVE
            else:
                interval = DEFAULT_KEEPALIVE
        elif configured > 0:
            interval = configured
        else:
            interval = None
    else:
        floored = max(hint_seconds, MIN_KEEPALIVE)
        if hint_seconds < MIN_KEEPALIVE:
            note = (
                f"The Proxy Adapter's keepalive hint of {hint_seconds * 1000:g} ms is below "
                f"the {MIN_KEEPALIVE * 1000:g} ms minimum"
            )
        else:
            note = ""
        if configured is None:
            interval = floored if hint_seconds < DEFAULT_KEEPALIVE else DEFAULT_KEEPALIVE
        elif configured > 0:
            interval = floored if hint_seconds < configured else configured
        else:
            # Unlike 1.3.1 (bug B6), a Proxy that needs keepalives gets them: without them
            # it would close the connection for inactivity (ARI-PROTOCOL.md §7).
            interval = floored
            warnings.append(
                "Keepalives are disabled by configuration, but the Proxy Adapter requests "
                f"one every {hint_seconds * 1000:g} ms; sending them every {floored:g} s"
            )
        if note and interval == floored:
            warnings.append(f"{note}; using {floored:g} s")
    return KeepaliveDecision(interval, "; ".join(warnings) if warnings else None)


def initial_keepalive(configured: float | None) -> float | None:
    """Return the keepalive interval to use before the init request arrives (§7).

    Args:
        configured: The application's setting in seconds: ``None`` if unset, a positive
            interval, or zero or less to disable keepalives.

    Returns:
        ``configured`` if positive, ``None`` (disabled) if zero or less, else
        :data:`DEFAULT_KEEPALIVE`.
    """
    if configured is None:
        return DEFAULT_KEEPALIVE
    if configured > 0:
        return configured
    return None
