"""Helpers of the Metadata tests: a scriptable adapter that records every call."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from lightstreamer_adapter._threading.base import Server
from lightstreamer_adapter.interfaces.metadata import (
    MetadataControlListener,
    MetadataProvider,
    Mode,
    MpnDeviceInfo,
    MpnSubscriptionInfo,
    TableInfo,
)
from lightstreamer_adapter.server import MetadataProviderServer
from lightstreamer_adapter.testing import MetadataProxySimulator

SCALE = float(os.environ.get("LS_TEST_TIMEOUT_SCALE", "1"))
_DEFAULT = object()


class RecordingAdapter(MetadataProvider):
    """A MetadataProvider that records calls and answers as scripted.

    ``answers[name]`` is either a value to return, an exception instance to raise, or a
    callable taking the call's arguments. Methods without an answer use the
    MetadataProvider default.
    """

    def __init__(self, **answers: Any) -> None:
        self.answers: dict[str, Any] = dict(answers)
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.listener: MetadataControlListener | None = None
        self.lock = threading.Lock()

    def names(self) -> list[str]:
        with self.lock:
            return [name for name, _ in self.calls]

    def _call(self, name: str, args: tuple[Any, ...], default: Callable[[], Any]) -> Any:
        with self.lock:
            self.calls.append((name, args))
        answer = self.answers.get(name, _DEFAULT)
        if answer is _DEFAULT:
            return default()
        if isinstance(answer, BaseException):
            raise answer
        if callable(answer):
            return answer(*args)
        return answer

    def initialize(self, parameters: dict[str, str], config_file: str | None = None) -> None:
        return self._call(  # type: ignore[no-any-return]
            "initialize", (parameters, config_file), lambda: None
        )

    def set_listener(self, listener: MetadataControlListener) -> None:
        self.listener = listener
        self._call("set_listener", (listener,), lambda: None)

    def notify_user(self, user: Any, password: Any, http_headers: Any) -> None:
        self._call(
            "notify_user",
            (user, password, http_headers),
            lambda: super(RecordingAdapter, self).notify_user(user, password, http_headers),
        )

    def notify_user_with_principal(
        self, user: Any, password: Any, http_headers: Any, client_principal: Any = None
    ) -> None:
        self._call(
            "notify_user_with_principal",
            (user, password, http_headers, client_principal),
            lambda: super(RecordingAdapter, self).notify_user_with_principal(
                user, password, http_headers, client_principal
            ),
        )

    def get_items(self, user: Any, session_id: Any, group: Any) -> Any:
        return self._call(
            "get_items",
            (user, session_id, group),
            lambda: super(RecordingAdapter, self).get_items(user, session_id, group),
        )

    def get_schema(self, user: Any, session_id: Any, group: Any, schema: Any) -> Any:
        return self._call(
            "get_schema",
            (user, session_id, group, schema),
            lambda: super(RecordingAdapter, self).get_schema(user, session_id, group, schema),
        )

    def get_allowed_max_bandwidth(self, user: Any) -> Any:
        return self._call("get_allowed_max_bandwidth", (user,), lambda: 0.0)

    def get_allowed_max_item_frequency(self, user: Any, item: Any) -> Any:
        return self._call("get_allowed_max_item_frequency", (user, item), lambda: 0.0)

    def get_allowed_buffer_size(self, user: Any, item: Any) -> Any:
        return self._call("get_allowed_buffer_size", (user, item), lambda: 0)

    def ismode_allowed(self, user: Any, item: Any, mode: Mode) -> Any:
        return self._call("ismode_allowed", (user, item, mode), lambda: True)

    def mode_may_be_allowed(self, item: Any, mode: Mode) -> Any:
        return self._call("mode_may_be_allowed", (item, mode), lambda: True)

    def get_min_source_frequency(self, item: Any) -> Any:
        return self._call("get_min_source_frequency", (item,), lambda: 0.0)

    def get_distinct_snapshot_length(self, item: Any) -> Any:
        return self._call("get_distinct_snapshot_length", (item,), lambda: 0)

    def notify_user_message(self, user: Any, session_id: Any, message: Any) -> None:
        self._call(
            "notify_user_message",
            (user, session_id, message),
            lambda: super(RecordingAdapter, self).notify_user_message(user, session_id, message),
        )

    def notify_new_session(self, user: Any, session_id: Any, client_context: Any) -> None:
        self._call("notify_new_session", (user, session_id, client_context), lambda: None)

    def get_session_time_to_live(self, user: Any, session_id: Any) -> Any:
        return self._call("get_session_time_to_live", (user, session_id), lambda: 0)

    def notify_session_close(self, session_id: Any) -> None:
        self._call("notify_session_close", (session_id,), lambda: None)

    def wants_tables_notification(self, user: Any) -> Any:
        return self._call("wants_tables_notification", (user,), lambda: False)

    def notify_new_tables(self, user: Any, session_id: Any, tables: list[TableInfo]) -> None:
        self._call("notify_new_tables", (user, session_id, tables), lambda: None)

    def enable_table_unsubscription(self, session_id: Any, tables: list[TableInfo]) -> Any:
        return self._call("enable_table_unsubscription", (session_id, tables), lambda: False)

    def wants_final_table_statistics(self, session_id: Any, tables: list[TableInfo]) -> Any:
        return self._call("wants_final_table_statistics", (session_id, tables), lambda: False)

    def notify_tables_close(self, session_id: Any, tables: list[TableInfo]) -> None:
        self._call("notify_tables_close", (session_id, tables), lambda: None)

    def notify_mpn_device_access(self, user: Any, session_id: Any, device: MpnDeviceInfo) -> None:
        self._call("notify_mpn_device_access", (user, session_id, device), lambda: None)

    def notify_mpn_subscription_activation(
        self, user: Any, session_id: Any, table: TableInfo, mpn_subscription: MpnSubscriptionInfo
    ) -> None:
        self._call(
            "notify_mpn_subscription_activation",
            (user, session_id, table, mpn_subscription),
            lambda: None,
        )

    def notify_mpn_device_token_change(
        self, user: Any, session_id: Any, device: MpnDeviceInfo, new_device_token: Any
    ) -> None:
        self._call(
            "notify_mpn_device_token_change",
            (user, session_id, device, new_device_token),
            lambda: None,
        )


@pytest.fixture
def recording_adapter() -> type[RecordingAdapter]:
    """The :class:`RecordingAdapter` class (conftest modules cannot be imported)."""
    return RecordingAdapter


@pytest.fixture(autouse=True)
def no_process_exit(monkeypatch: pytest.MonkeyPatch) -> list[BaseException]:
    """Record, instead of running, the default I/O handling that ends the process."""
    calls: list[BaseException] = []

    def record(self: Server, exception: BaseException) -> None:
        calls.append(exception)
        self.close()

    monkeypatch.setattr(Server, "_terminate_process", record)
    return calls


@pytest.fixture
def proxy() -> Iterator[MetadataProxySimulator]:
    """A simulated Proxy Metadata Adapter; closed (with its servers) at teardown."""
    simulator = MetadataProxySimulator(timeout=5.0 * SCALE)
    try:
        yield simulator
    finally:
        simulator.close()


@pytest.fixture
def serve(
    proxy: MetadataProxySimulator,
) -> Callable[..., MetadataProviderServer]:
    """``serve(adapter, version="1.9.1", **server_kwargs)``: start, accept and init a server.

    ``params``, ``adapter_params`` and ``adapter_config`` are passed on; the calls of a
    RecordingAdapter made by the init are forgotten unless ``keep_init_calls``. The
    server is closed by the simulator at teardown.
    """

    def start(
        adapter: MetadataProvider,
        version: str | None = "1.9.1",
        *,
        params: dict[str, str | None] | None = None,
        adapter_params: dict[str, str] | None = None,
        adapter_config: str | None = None,
        keep_init_calls: bool = False,
        **kwargs: Any,
    ) -> MetadataProviderServer:
        server = MetadataProviderServer(adapter, proxy.address, **kwargs)
        server.adapter_params = adapter_params
        server.adapter_config = adapter_config
        proxy.attach(server, params=params, version=version)
        if isinstance(adapter, RecordingAdapter) and not keep_init_calls:
            with adapter.lock:
                del adapter.calls[:]
        return server

    return start
