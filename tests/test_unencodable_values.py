"""A lone surrogate from adapter code cannot travel as UTF-8: it must cost one line, not
the connection, and a request must still be answered (§6.9, checklist 91)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lightstreamer_adapter.interfaces.data import DataProvider, ItemEventListener
from lightstreamer_adapter.interfaces.metadata import MetadataProvider
from lightstreamer_adapter.protocol.messages import ErrorKind
from lightstreamer_adapter.server import (
    DataProviderServer,
    ExceptionHandler,
    MetadataProviderServer,
)
from lightstreamer_adapter.testing import (
    AdapterError,
    DataProxySimulator,
    MetadataProxySimulator,
)


class Quiet(ExceptionHandler):
    def __init__(self) -> None:
        super().__init__()
        self.errors: list[BaseException] = []

    def handle_ioexception(self, exception: Exception) -> bool:
        return False

    def handle_exception(self, exception: Exception) -> bool:
        self.errors.append(exception)
        return False


class Items(MetadataProvider):
    def get_items(self, user: Any, session_id: Any, group: Any) -> list[str]:
        return ["ok", "bad\ud800"] if group == "bad" else ["ok"]


def test_metadata_reply_with_lone_surrogate_gets_an_error_reply(
    timeout: Callable[[float], float],
) -> None:
    with MetadataProxySimulator(timeout=timeout(5)) as proxy:
        server = MetadataProviderServer(Items(), proxy.address)
        handler = Quiet()
        server.set_exception_handler(handler)
        server.start()
        try:
            proxy.accept()
            proxy.init()
            try:
                proxy.get_items("u", "bad", "S1")
                raise AssertionError("expected an error reply")
            except AdapterError as err:
                assert err.kind is ErrorKind.GENERIC
            # The connection is still alive and the next request is answered.
            assert proxy.get_items("u", "good", "S1").items == ("ok",)
        finally:
            server.close()


class Feed(DataProvider):
    listener: ItemEventListener

    def initialize(self, parameters: Any, config_file: Any = None) -> None:
        pass

    def set_listener(self, event_listener: ItemEventListener) -> None:
        self.listener = event_listener

    def issnapshot_available(self, item_name: str) -> bool:
        return True

    def subscribe(self, item_name: str) -> None:
        self.listener.update(item_name, {"v": "1"}, True)
        self.listener.update(item_name, {"v": "bad\udc80"}, True)
        self.listener.update(item_name, {"v": "3"}, True)

    def unsubscribe(self, item_name: str) -> None:
        pass


def test_update_with_lone_surrogate_is_dropped_alone(timeout: Callable[[float], float]) -> None:
    with DataProxySimulator(timeout=timeout(5)) as proxy:
        server = DataProviderServer(Feed(), proxy.address)
        server.set_exception_handler(Quiet())
        server.start()
        try:
            proxy.accept()
            proxy.init()
            proxy.subscribe("item")
            assert proxy.next_update().values == {"v": "1"}
            assert proxy.next_update().values == {"v": "3"}
            proxy.unsubscribe("item")  # the connection is still alive
        finally:
            server.close()
