"""Ready-made Metadata Adapters.

:class:`LiteralBasedProvider` is a complete :class:`MetadataProvider` configured only by
its init parameters: it takes item groups and field schemas literally (a group *is* the
space-separated list of its items), optionally restricts the users who may connect, and
gives every user and item the same limits.

A minimal remote Metadata Adapter built on it::

    from lightstreamer_adapter.metadata import LiteralBasedProvider
    from lightstreamer_adapter.server import MetadataProviderServer

    server = MetadataProviderServer(LiteralBasedProvider(), ("push.example.com", 6663))
    server.adapter_params = {"allowed_users": "alice bob", "max_bandwidth": "40"}
    server.start()

The same parameters can come from the Proxy Metadata Adapter in ``adapters.xml``. The
Proxy forwards the ``<param>`` entries whose name starts with its
``remote_params_prefix`` (the prefix must contain a ``:``); pass the same prefix to the
provider, which then reads ``literal:max_bandwidth`` (and, should the Proxy strip the
prefix, plain ``max_bandwidth``):

.. code-block:: xml

    <metadata_provider>
        <adapter_class>ROBUST_PROXY_FOR_REMOTE_ADAPTER</adapter_class>
        <param name="request_reply_port">6663</param>
        <param name="remote_params_prefix">literal:</param>
        <param name="literal:allowed_users">alice, bob</param>
        <param name="literal:max_bandwidth">40</param>
        <param name="literal:max_frequency">5.5</param>
        <param name="literal:buffer_size">30</param>
        <param name="literal:distinct_snapshot_length">20</param>
        <param name="literal:allowed_modes">MERGE DISTINCT</param>
        <param name="literal:item_family_1">news_.*</param>
        <param name="literal:modes_for_item_family_1">DISTINCT</param>
    </metadata_provider>

and on the remote side ``LiteralBasedProvider(param_prefix="literal:")``. Parameters set
in :attr:`MetadataProviderServer.adapter_params` override those of the Proxy.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from .interfaces.metadata import (
    AccessError,
    MetadataProvider,
    MetadataProviderError,
    Mode,
)

__all__ = ["LiteralBasedProvider"]

_ALL_MODES = frozenset(Mode)
_FAMILY_PREFIX = "item_family_"
_FAMILY_MODES_PREFIX = "modes_for_item_family_"
_SEPARATORS = re.compile(r"[\s,]+")


def _split_list(text: str) -> list[str]:
    """Split a configured list on commas and any whitespace, dropping empty entries."""
    return [entry for entry in _SEPARATORS.split(text) if entry]


def _family_sort_key(suffix: str) -> tuple[int, int, str]:
    # item_family_2 comes before item_family_10; non-numeric suffixes after the numbers.
    if suffix.isdigit():
        return (0, int(suffix), "")
    return (1, 0, suffix)


class LiteralBasedProvider(MetadataProvider):
    """A Metadata Adapter configured by its init parameters; no code needed.

    Item groups and field schemas are lists of names separated by any whitespace
    (``"item1  item2\\titem3"`` is three items; an empty group has no item).
    Every other answer comes from these init parameters, all optional:

    ``allowed_users``
        The users allowed to open sessions, separated by commas and/or whitespace.
        Absent or blank: every user (and any password) is accepted. The password is
        never checked: combine with a subclass that overrides :meth:`notify_user`
        for real authentication.
    ``max_bandwidth``
        Bandwidth limit of every user, in kbit/s (a decimal number). Default ``0``:
        unlimited.
    ``max_frequency``
        Update frequency limit of every user for every item, in updates per second.
        Default ``0``: unlimited.
    ``buffer_size``
        Buffer size of every user for every item (an integer). Default ``0``:
        unlimited.
    ``distinct_snapshot_length``
        Length of the DISTINCT-mode snapshot of every item. Default ``10``.
    ``min_source_frequency``
        Lowest update frequency the Data Adapter needs for every item (prefiltering).
        Default ``0``: no prefiltering.
    ``allowed_modes``
        Subscription modes allowed for items that belong to no family, as mode names
        (``RAW``, ``MERGE``, ``DISTINCT``, ``COMMAND``, any letter case) separated by
        commas and/or whitespace. Absent: every mode. Blank: none.
    ``item_family_<n>`` and ``modes_for_item_family_<n>``
        A regular expression (matched against the whole item name) and the modes
        allowed for the items it matches. Families are tried in the order of ``<n>``
        (numbers first, numerically, then other suffixes alphabetically); the first
        that matches decides. A family without its modes parameter allows every mode.

    A malformed value makes :meth:`initialize` raise :class:`MetadataProviderError`
    naming the parameter.

    Args:
        param_prefix: A prefix for every parameter name, typically the
            ``remote_params_prefix`` of the Proxy (e.g. ``"literal:"``). Each parameter
            is looked up first with the prefix, then without it.
    """

    def __init__(self, param_prefix: str = "") -> None:
        self._param_prefix = param_prefix
        self._allowed_users: frozenset[str] | None = None
        self._max_bandwidth = 0.0
        self._max_frequency = 0.0
        self._buffer_size = 0
        self._distinct_snapshot_length = 10
        self._min_source_frequency = 0.0
        self._default_modes: frozenset[Mode] = _ALL_MODES
        self._families: list[tuple[re.Pattern[str], frozenset[Mode]]] = []

    # -- configuration ---------------------------------------------------------------

    def initialize(self, parameters: dict[str, str], config_file: str | None = None) -> None:
        """Read the configuration from the init parameters (see the class docstring).

        Raises:
            MetadataProviderError: A parameter has a malformed value.
        """
        params = self._strip_prefix(parameters)
        users = params.get("allowed_users")
        self._allowed_users = None
        if users is not None and users.strip():
            self._allowed_users = frozenset(_split_list(users))
        self._max_bandwidth = self._float_param(params, "max_bandwidth", 0.0)
        self._max_frequency = self._float_param(params, "max_frequency", 0.0)
        self._min_source_frequency = self._float_param(params, "min_source_frequency", 0.0)
        self._buffer_size = self._int_param(params, "buffer_size", 0)
        self._distinct_snapshot_length = self._int_param(params, "distinct_snapshot_length", 10)
        modes = params.get("allowed_modes")
        self._default_modes = _ALL_MODES if modes is None else self._modes(modes, "allowed_modes")
        self._families = self._read_families(params)

    def _strip_prefix(self, parameters: Mapping[str, str | None]) -> dict[str, str]:
        plain: dict[str, str] = {}
        prefixed: dict[str, str] = {}
        prefix = self._param_prefix
        for name, value in parameters.items():
            if value is None:
                continue
            if prefix and name.startswith(prefix):
                prefixed[name[len(prefix) :]] = value
            else:
                plain[name] = value
        # The prefixed form wins: it is the one written for this adapter.
        plain.update(prefixed)
        return plain

    def _float_param(self, params: Mapping[str, str], name: str, default: float) -> float:
        text = params.get(name)
        if text is None or not text.strip():
            return default
        try:
            value = float(text)
        except ValueError:
            raise MetadataProviderError(
                f"Parameter {self._param_prefix}{name} must be a number, not {text!r}"
            ) from None
        if not math.isfinite(value) or value < 0:
            raise MetadataProviderError(
                f"Parameter {self._param_prefix}{name} must be zero or positive, not {text!r}"
            )
        return value

    def _int_param(self, params: Mapping[str, str], name: str, default: int) -> int:
        text = params.get(name)
        if text is None or not text.strip():
            return default
        try:
            value = int(text)
        except ValueError:
            raise MetadataProviderError(
                f"Parameter {self._param_prefix}{name} must be an integer, not {text!r}"
            ) from None
        if value < 0:
            raise MetadataProviderError(
                f"Parameter {self._param_prefix}{name} must be zero or positive, not {text!r}"
            )
        return value

    def _modes(self, text: str, name: str) -> frozenset[Mode]:
        modes = set()
        for entry in _split_list(text):
            try:
                modes.add(Mode[entry.upper()])
            except KeyError:
                raise MetadataProviderError(
                    f"Parameter {self._param_prefix}{name}: unknown mode {entry!r}; "
                    "use RAW, MERGE, DISTINCT or COMMAND"
                ) from None
        return frozenset(modes)

    def _read_families(
        self, params: Mapping[str, str]
    ) -> list[tuple[re.Pattern[str], frozenset[Mode]]]:
        suffixes = sorted(
            (name[len(_FAMILY_PREFIX) :] for name in params if name.startswith(_FAMILY_PREFIX)),
            key=_family_sort_key,
        )
        families = []
        for suffix in suffixes:
            name = _FAMILY_PREFIX + suffix
            try:
                pattern = re.compile(params[name])
            except re.error as err:
                raise MetadataProviderError(
                    f"Parameter {self._param_prefix}{name}: bad regular expression: {err}"
                ) from None
            modes_name = _FAMILY_MODES_PREFIX + suffix
            modes_text = params.get(modes_name)
            modes = _ALL_MODES if modes_text is None else self._modes(modes_text, modes_name)
            families.append((pattern, modes))
        return families

    def _modes_for(self, item: str | None) -> frozenset[Mode]:
        if item is not None:
            for pattern, modes in self._families:
                if pattern.fullmatch(item):
                    return modes
        return self._default_modes

    # -- MetadataProvider ---------------------------------------------------------------

    def notify_user(
        self, user: str | None, password: str | None, http_headers: dict[str, str]
    ) -> None:
        """Accept the user if ``allowed_users`` is not configured or lists it.

        Raises:
            AccessError: The user is not in ``allowed_users``.
        """
        if self._allowed_users is not None and user not in self._allowed_users:
            raise AccessError(f"Unauthorized user {user!r}")

    def get_items(self, user: str | None, session_id: str, group: str) -> list[str]:
        """Return the item names of the group, split on any whitespace."""
        return group.split() if group else []

    def get_schema(self, user: str | None, session_id: str, group: str, schema: str) -> list[str]:
        """Return the field names of the schema, split on any whitespace."""
        return schema.split() if schema else []

    def get_allowed_max_bandwidth(self, user: str | None) -> float:
        """Return ``max_bandwidth``."""
        return self._max_bandwidth

    def get_allowed_max_item_frequency(self, user: str | None, item: str) -> float:
        """Return ``max_frequency``."""
        return self._max_frequency

    def get_allowed_buffer_size(self, user: str | None, item: str) -> int:
        """Return ``buffer_size``."""
        return self._buffer_size

    def get_distinct_snapshot_length(self, item: str) -> int:
        """Return ``distinct_snapshot_length``."""
        return self._distinct_snapshot_length

    def get_min_source_frequency(self, item: str) -> float:
        """Return ``min_source_frequency``."""
        return self._min_source_frequency

    def mode_may_be_allowed(self, item: str, mode: Mode) -> bool:
        """Tell whether ``allowed_modes`` (or the item's family) includes the mode."""
        return mode in self._modes_for(item)

    def ismode_allowed(self, user: str | None, item: str, mode: Mode) -> bool:
        """Same as :meth:`mode_may_be_allowed`: the modes do not depend on the user."""
        return mode in self._modes_for(item)
